"""The event shapes Lambda's event sources deliver, built from what the emulators return.

Pure functions, no I/O: the pumps feed them API responses, the tests compare their output with AWS's
documented sample events. Where an emulator leaves a field out (moto's EventBridge-to-SQS messages
have no `account`; boto3 turns stream timestamps into datetimes), the field is put back as AWS
sends it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from base64 import b64encode
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

ACCOUNT = "123456789012"
"""The account id the local cloud pretends to be (moto's default account)."""

# AWS's field order in an EventBridge event delivered to a target (the documented sample event).
EVENTBRIDGE_FIELDS = (
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
)
_STREAM_DATA_FIELDS = (
    "ApproximateCreationDateTime",
    "Keys",
    "NewImage",
    "OldImage",
    "SequenceNumber",
    "SizeBytes",
    "StreamViewType",
)


def _epoch_seconds(value: Any) -> int | float:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        seconds = moment.timestamp()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, int | float):
        return value
    raise TypeError(f"not a timestamp: {value!r}")


def _iso_seconds(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_seconds_of(epoch: Any) -> str | None:
    """Epoch seconds (as a stream record carries them) as ISO-8601 UTC, or None."""
    if isinstance(epoch, int | float):
        return _iso_seconds(datetime.fromtimestamp(epoch, tz=UTC))
    return None


def stream_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda DynamoDB-stream event, from one record of `GetRecords`.

    `GetRecords` leaves out `eventSourceARN` (Lambda adds it) and boto3 parses
    `ApproximateCreationDateTime` into a datetime, where Lambda sends epoch seconds as a number.
    """
    data = record["dynamodb"]
    shaped_data: dict[str, Any] = {}
    for name in _STREAM_DATA_FIELDS:
        if name in data:
            shaped_data[name] = data[name]
    if "ApproximateCreationDateTime" in shaped_data:
        shaped_data["ApproximateCreationDateTime"] = _epoch_seconds(
            shaped_data["ApproximateCreationDateTime"]
        )
    shaped: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        # What Lambda sends for DynamoDB streams (moto's GetRecords says "1.0").
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": shaped_data,
        "eventSourceARN": stream_arn,
    }
    # Present only on deletions made by TTL.
    if "userIdentity" in record:
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API attribute (`StringValue`, `BinaryValue`, `DataType`) -> Lambda's lower-camel shape."""
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        binary = value["BinaryValue"]
        shaped["binaryValue"] = b64encode(binary).decode() if isinstance(binary, bytes) else binary
    shaped["stringListValues"] = list(value.get("StringListValues", []))
    shaped["binaryListValues"] = [
        b64encode(b).decode() if isinstance(b, bytes) else b for b in value.get("BinaryListValues", [])
    ]
    shaped["dataType"] = value["DataType"]
    return shaped


def sqs_record(
    message: Mapping[str, Any], queue_arn: str, region: str, body: str | None = None
) -> dict[str, Any]:
    """One record of a Lambda SQS event, from one message of `ReceiveMessage` (AttributeNames=All).

    `body` replaces the message body (the pump normalises EventBridge bodies); `md5OfBody` is then
    of the body delivered, as Lambda's would be.
    """
    delivered = message["Body"] if body is None else body
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": delivered,
        "attributes": {str(k): str(v) for k, v in message.get("Attributes", {}).items()},
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": hashlib.md5(delivered.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _event_time(value: Any, fallback: datetime) -> str:
    if isinstance(value, int | float):
        return _iso_seconds(datetime.fromtimestamp(value, tz=UTC))
    if isinstance(value, str) and value:
        try:
            return _iso_seconds(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return _iso_seconds(fallback)


def eventbridge_event(
    event: Mapping[str, Any], region: str, account: str = ACCOUNT, now: datetime | None = None
) -> dict[str, Any]:
    """An EventBridge event in the shape AWS delivers to a target: every documented field, in
    AWS's order, and nothing an emulator added."""
    moment = now or datetime.now(UTC)
    return {
        "version": str(event.get("version") or "0"),
        "id": str(event.get("id") or uuid.uuid4()),
        "detail-type": event["detail-type"],
        "source": event["source"],
        "account": str(event.get("account") or account),
        "time": _event_time(event.get("time"), moment),
        "region": str(event.get("region") or region),
        "resources": list(event.get("resources") or []),
        "detail": event.get("detail") if isinstance(event.get("detail"), dict) else {},
    }


def normalise_body(body: str, region: str, account: str = ACCOUNT, now: datetime | None = None) -> str:
    """An SQS body as AWS would have delivered it: an EventBridge event gets its missing fields
    back; anything else (an S3 notification, a poison message) is left exactly as it is."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if not isinstance(parsed, dict) or "detail-type" not in parsed or "source" not in parsed:
        return body
    return json.dumps(eventbridge_event(parsed, region, account, now), separators=(",", ":"))


def scheduled_event(rule_name: str, moment: datetime, region: str, account: str = ACCOUNT) -> dict[str, Any]:
    """The "Scheduled Event" EventBridge delivers to a schedule rule's target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": _iso_seconds(moment),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule_name}"],
        "detail": {},
    }
