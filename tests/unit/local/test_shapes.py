"""The local pumps deliver events in the shapes AWS documents, checked against AWS's own samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel, EventBridgeModel, SqsModel
from earnloop.local import shapes
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parents[3]

# AWS's documented example of an event delivered to a target (EventBridge User Guide, "Amazon
# EventBridge events"), field order as AWS sends it.
AWS_EVENTBRIDGE_SAMPLE = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": " i-1234567890abcdef0", "state": "terminated"},
}

# AWS's example "Scheduled Event" (EventBridge User Guide, schedule rules).
AWS_SCHEDULED_SAMPLE = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2015-10-08T16:53:06Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
    "detail": {},
}

# AWS's example SQS record (Lambda Developer Guide, "Using Lambda with Amazon SQS").
AWS_SQS_RECORD_SAMPLE = {
    "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
    "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
    "body": "Test message.",
    "attributes": {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1545082649183",
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "1545082649185",
    },
    "messageAttributes": {},
    "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
    "eventSource": "aws:sqs",
    "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
    "awsRegion": "us-east-2",
}

# AWS's example DynamoDB stream record (Lambda Developer Guide, "Using Lambda with DynamoDB").
AWS_STREAM_RECORD_SAMPLE = {
    "eventID": "1",
    "eventVersion": "1.0",
    "dynamodb": {
        "Keys": {"Id": {"N": "101"}},
        "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "SequenceNumber": "111",
        "SizeBytes": 26,
    },
    "awsRegion": "us-west-2",
    "eventName": "INSERT",
    "eventSourceARN": "arn:aws:dynamodb:us-west-2:111122223333:table/TestTable/stream/"
    "2015-05-11T21:21:33.291",
    "eventSource": "aws:dynamodb",
}


def moto_body() -> str:
    """What moto's EventBridge puts on an SQS target: its input template leaves `account` out and
    gives `time` as it received it."""
    return json.dumps(
        {
            "id": "0b1c2d3e-0000-4000-8000-000000000001",
            "time": "2026-11-23T09:00:01Z",
            "version": "0",
            "detail-type": "ScanClaimed",
            "source": "earnloop.codes",
            "region": "ap-east-1",
            "resources": [],
            "detail": {"scan_id": "AK7Q2M3X-31", "points": 50},
        }
    )


def test_a_moto_eventbridge_body_gets_every_field_aws_sends_in_aws_order() -> None:
    normalised = json.loads(shapes.normalise_body(moto_body(), "ap-east-1"))

    assert list(normalised) == list(AWS_EVENTBRIDGE_SAMPLE)
    assert normalised["account"] == shapes.ACCOUNT
    assert normalised["time"] == "2026-11-23T09:00:01Z"
    assert normalised["detail"] == {"scan_id": "AK7Q2M3X-31", "points": 50}
    for name, value in AWS_EVENTBRIDGE_SAMPLE.items():
        assert type(normalised[name]) is type(value), name


def test_powertools_rejects_moto_bodies_and_accepts_them_normalised() -> None:
    with pytest.raises(ValidationError):
        EventBridgeModel.model_validate_json(moto_body())

    parsed = EventBridgeModel.model_validate_json(shapes.normalise_body(moto_body(), "ap-east-1"))

    assert parsed.detail_type == "ScanClaimed"
    assert parsed.account == shapes.ACCOUNT


def test_an_aws_shaped_body_is_delivered_as_aws_sent_it() -> None:
    normalised = shapes.normalise_body(json.dumps(AWS_EVENTBRIDGE_SAMPLE), "ap-east-1")

    assert json.loads(normalised) == AWS_EVENTBRIDGE_SAMPLE


def test_an_epoch_time_and_missing_fields_are_filled_as_aws_would() -> None:
    bare = {"detail-type": "X", "source": "s", "time": 1795424401, "detail": {}}
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    event = shapes.eventbridge_event(bare, "ap-east-1", now=now)

    assert event["time"] == "2026-11-23T09:00:01Z"
    assert (event["version"], event["region"], event["resources"]) == ("0", "ap-east-1", [])
    assert event["id"]


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        json.dumps([1, 2, 3]),
        json.dumps({"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "a+b.jpg"}}}]}),
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
    ],
)
def test_bodies_that_are_not_eventbridge_events_are_left_exactly_as_they_are(body: str) -> None:
    assert shapes.normalise_body(body, "ap-east-1") == body


@pytest.mark.parametrize("sample", sorted((ROOT / "events" / "sqs").glob("*.json")), ids=lambda p: p.stem)
def test_every_sqs_sample_event_carries_an_eventbridge_body_or_an_s3_notification_in_aws_shape(
    sample: Path,
) -> None:
    from aws_lambda_powertools.utilities.parser.models import S3Model
    from earnloop.identity.segments_job import SegmentPiece
    from earnloop.points.expiry_job import ExpiryPiece
    from earnloop.points.reconcile import ReconcilePiece
    from earnloop.points.reminders import ReminderPiece

    # Queues that carry a scheduled job's own pieces, sent by its planner, not by a rule.
    job_pieces = {
        "points_expire": [ExpiryPiece, ReminderPiece],
        "points_reconcile": [ReconcilePiece],
        "segments_move": [SegmentPiece],
    }

    event = json.loads(sample.read_text())
    SqsModel.model_validate(event)
    for record in event["Records"]:
        assert list(record) == list(AWS_SQS_RECORD_SAMPLE)
        body = json.loads(record["body"])
        if sample.stem in job_pieces:
            assert any(_valid(model, body) for model in job_pieces[sample.stem]), body
            assert shapes.normalise_body(record["body"], "ap-east-1") == record["body"]
            continue
        if "Records" in body:
            # A bucket's ObjectCreated notification, sent by S3 straight to the queue (media).
            S3Model.model_validate(body)
            assert shapes.normalise_body(record["body"], "ap-east-1") == record["body"]
            continue
        assert body == json.loads(shapes.normalise_body(record["body"], body["region"]))
        assert list(body) == list(AWS_EVENTBRIDGE_SAMPLE)


def _valid(model: type, body: object) -> bool:
    try:
        model.model_validate(body)  # type: ignore[attr-defined]
    except ValidationError:
        return False
    return True


def test_an_sqs_record_has_every_field_lambda_sends_and_the_checksum_of_the_delivered_body() -> None:
    message = {
        "MessageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "ReceiptHandle": "handle",
        "MD5OfBody": "of-the-original-body",
        "Body": "Test message.",
        "Attributes": {
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
        },
        "MessageAttributes": {"trace": {"StringValue": "abc", "DataType": "String"}},
    }
    arn = "arn:aws:sqs:us-east-2:123456789012:my-queue"

    record = shapes.sqs_record(message, arn, "us-east-2")

    assert set(record) == set(AWS_SQS_RECORD_SAMPLE)
    assert record["md5OfBody"] == AWS_SQS_RECORD_SAMPLE["md5OfBody"]
    assert record["messageAttributes"] == {
        "trace": {"stringValue": "abc", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    SqsModel.model_validate({"Records": [record]})
    replaced = shapes.sqs_record(message, arn, "us-east-2", body="other")
    assert replaced["body"] == "other" and replaced["md5OfBody"] != record["md5OfBody"]


def test_a_stream_record_gets_epoch_seconds_its_source_arn_and_lambdas_event_version() -> None:
    # As boto3 returns GetRecords: a datetime, no eventSourceARN, the emulator's region.
    from_api = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ddblocal",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            "Keys": {"Id": {"N": "101"}},
            "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
            "SequenceNumber": "111",
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    arn = AWS_STREAM_RECORD_SAMPLE["eventSourceARN"]

    record = shapes.stream_record(from_api, str(arn), "us-west-2")

    assert set(record) == set(AWS_STREAM_RECORD_SAMPLE)
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1795424400
    assert record["eventVersion"] == "1.1"
    assert record["awsRegion"] == "us-west-2"
    assert record["eventSourceARN"] == arn
    DynamoDBStreamModel.model_validate({"Records": [record]})


def test_a_scheduled_event_has_the_shape_of_aws_scheduled_event() -> None:
    event = shapes.scheduled_event(
        "earnloop-local-reconcile", datetime(2026, 11, 23, 18, 30, 5, tzinfo=UTC), "ap-east-1"
    )

    assert list(event) == list(AWS_SCHEDULED_SAMPLE)
    assert (event["detail-type"], event["source"], event["detail"]) == ("Scheduled Event", "aws.events", {})
    assert event["time"] == "2026-11-23T18:30:05Z"
    assert event["resources"] == ["arn:aws:events:ap-east-1:123456789012:rule/earnloop-local-reconcile"]
    EventBridgeModel.model_validate(event)
