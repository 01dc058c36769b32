"""The pumps' Lambda semantics, against in-memory fakes of the streams and SQS APIs (no sockets):
partial batch failures, crashed invocations, retries, in-flight messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from earnloop.local.pumps import QueueEndpoints, QueuePump, StreamPump
from earnloop.platform.catalog import FunctionSpec
from earnloop.platform.resources import Queue

ARN = "arn:aws:dynamodb:ap-east-1:123456789012:table/earnloop-local-codes/stream/2026-11-23T09:00:00.000"
CONSUMER = FunctionSpec("stream_publisher", "stream", streams=("codes",))


class FakeStreams:
    """One shard of DynamoDB stream records; iterators are positions."""

    def __init__(self, count: int) -> None:
        self.records = [
            {
                "eventID": f"e{n}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ddblocal",
                "dynamodb": {
                    "ApproximateCreationDateTime": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                    "Keys": {"pk": {"S": f"K{n}"}},
                    "NewImage": {"pk": {"S": f"K{n}"}},
                    "SequenceNumber": f"{n:021d}",
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
            for n in range(1, count + 1)
        ]
        self.expire_next = False

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in self.records]
        kind = request["ShardIteratorType"]
        if kind == "TRIM_HORIZON":
            position = 0
        elif kind == "AT_SEQUENCE_NUMBER":
            position = sequences.index(request["SequenceNumber"])
        else:
            position = sequences.index(request["SequenceNumber"]) + 1
        return {"ShardIterator": str(position)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        if self.expire_next:
            self.expire_next = False
            raise ClientError({"Error": {"Code": "ExpiredIteratorException", "Message": "x"}}, "GetRecords")
        start = int(ShardIterator)
        batch = self.records[start : start + Limit]
        return {"Records": batch, "NextShardIterator": str(start + len(batch))}


class Consumer:
    """A stream consumer that answers from a script of responses (an exception is raised)."""

    def __init__(self, *responses: Any) -> None:
        self.responses = list(responses)
        self.batches: list[list[str]] = []

    def __call__(self, name: str, event: dict[str, Any]) -> Any:
        self.batches.append([r["eventID"] for r in event["Records"]])
        response = self.responses.pop(0) if self.responses else {"batchItemFailures": []}
        if isinstance(response, Exception):
            raise response
        return response


def stream_pump(streams: FakeStreams, consumer: Consumer, max_attempts: int = 3) -> StreamPump:
    return StreamPump(
        {"codes": ARN},
        "ap-east-1",
        (CONSUMER,),
        consumer,
        max_attempts=max_attempts,
        client=lambda _: streams,
    )


def test_stream_records_reach_the_consumer_in_lambdas_shape_once() -> None:
    consumer = Consumer()
    pump = stream_pump(FakeStreams(3), consumer)

    assert pump.step() == 3
    assert pump.step() == 0
    assert consumer.batches == [["e1", "e2", "e3"]]


def test_a_reported_failure_redelivers_from_that_record_not_from_the_start() -> None:
    consumer = Consumer({"batchItemFailures": [{"itemIdentifier": f"{2:021d}"}]})
    pump = stream_pump(FakeStreams(3), consumer)

    pump.step()
    pump.step()

    assert consumer.batches == [["e1", "e2", "e3"], ["e2", "e3"]]
    assert pump.step() == 0


def test_a_crashed_invocation_redelivers_the_whole_batch() -> None:
    consumer = Consumer(RuntimeError("boom"))
    pump = stream_pump(FakeStreams(2), consumer)

    pump.step()
    pump.step()

    assert consumer.batches == [["e1", "e2"], ["e1", "e2"]]


def test_a_batch_failing_every_attempt_is_dropped_and_kept_for_inspection() -> None:
    consumer = Consumer(RuntimeError("1"), RuntimeError("2"))
    pump = stream_pump(FakeStreams(2), consumer, max_attempts=2)

    pump.step()
    pump.step()

    assert len(consumer.batches) == 2
    [dropped] = pump.dropped
    assert (dropped.consumer, dropped.table, dropped.records) == ("stream_publisher", "codes", 2)
    assert pump.step() == 0


def test_an_expired_iterator_is_taken_again_from_where_the_consumer_was() -> None:
    streams = FakeStreams(2)
    consumer = Consumer()
    pump = stream_pump(streams, consumer)
    pump.step()
    streams.records.extend(FakeStreams(3).records[2:])
    streams.expire_next = True

    assert pump.step() == 1
    assert consumer.batches == [["e1", "e2"], ["e3"]]


class FakeSqs:
    """Queues of messages with visibility: received messages are hidden until deleted or released."""

    def __init__(self) -> None:
        self.visible: dict[str, list[dict[str, Any]]] = {}
        self.hidden: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self.next_id = 0

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, Any]:
        self.next_id += 1
        message = {
            "MessageId": f"m{self.next_id}",
            "Body": MessageBody,
            "Attributes": {"ApproximateReceiveCount": "0"},
        }
        self.visible.setdefault(QueueUrl, []).append(message)
        return {"MessageId": message["MessageId"]}

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:
        taken = self.visible.get(QueueUrl, [])[:MaxNumberOfMessages]
        self.visible[QueueUrl] = self.visible.get(QueueUrl, [])[len(taken) :]
        for message in taken:
            count = int(message["Attributes"]["ApproximateReceiveCount"]) + 1
            message["Attributes"]["ApproximateReceiveCount"] = str(count)
            message["ReceiptHandle"] = f"{message['MessageId']}/{count}"
            self.hidden[message["ReceiptHandle"]] = {**message, "QueueUrl": QueueUrl}
        return {"Messages": [dict(m) for m in taken]} if taken else {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        for entry in Entries:
            self.deleted.append(self.hidden.pop(entry["ReceiptHandle"])["MessageId"])

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        message = self.hidden.pop(ReceiptHandle)
        message.pop("QueueUrl")
        self.visible.setdefault(QueueUrl, []).append(message)


class Worker:
    """A queue consumer failing the messages whose body is in `fail`."""

    def __init__(self, fail: set[str] | None = None, crash: bool = False) -> None:
        self.fail = fail or set()
        self.crash = crash
        self.bodies: list[str] = []

    def __call__(self, name: str, event: dict[str, Any]) -> Any:
        self.bodies.extend(r["body"] for r in event["Records"])
        if self.crash:
            raise RuntimeError("the worker crashed")
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in self.fail
            ]
        }


def queue_pump(sqs: FakeSqs, worker: Worker) -> QueuePump:
    endpoints = {
        "points": QueueEndpoints("url-points", "arn:aws:sqs:ap-east-1:123456789012:points", "url-dlq")
    }
    # `health` stands in for the consumer: the pump only checks that its function folder exists.
    return QueuePump(
        endpoints, "ap-east-1", worker, (Queue("points", consumer="health"),), client=lambda _: sqs
    )


def test_successes_are_deleted_and_failures_stay_in_flight_until_released() -> None:
    sqs, worker = FakeSqs(), Worker(fail={"bad"})
    pump = queue_pump(sqs, worker)
    pump.send("points", "good")
    pump.send("points", "bad")

    assert pump.step() == 2
    assert sqs.deleted == ["m1"]
    assert pump.step() == 0  # the failure is invisible until its visibility timeout
    assert pump.release_in_flight() == 1
    assert pump.step() == 1
    assert worker.bodies == ["good", "bad", "bad"]


def test_a_crashed_worker_returns_its_whole_batch_to_the_queue() -> None:
    sqs, worker = FakeSqs(), Worker(crash=True)
    pump = queue_pump(sqs, worker)
    pump.send("points", {"a": 1})
    pump.send("points", {"b": 2})

    pump.step()

    assert sqs.deleted == []
    assert len(pump.in_flight["points"]) == 2


def test_delivering_without_deleting_leaves_even_successes_in_flight() -> None:
    sqs, worker = FakeSqs(), Worker()
    pump = queue_pump(sqs, worker)
    pump.send("points", "done but not deleted")

    assert pump.step("points", delete=False) == 1
    assert sqs.deleted == []
    pump.release_in_flight()
    assert pump.step() == 1
    assert sqs.deleted == ["m1"]


def test_records_carry_the_normalised_body_and_the_queue_arn() -> None:
    sqs, worker = FakeSqs(), Worker()
    pump = queue_pump(sqs, worker)
    pump.send("points", {"detail-type": "ScanClaimed", "source": "earnloop.codes", "detail": {"a": 1}})

    pump.step()

    [body] = worker.bodies
    assert json.loads(body)["account"] == "123456789012"


def test_queues_whose_consumer_is_not_written_yet_are_skipped() -> None:
    sqs, worker = FakeSqs(), Worker()
    endpoints = {"later": QueueEndpoints("url-later", "arn", "url-dlq")}
    pump = QueuePump(
        endpoints, "ap-east-1", worker, (Queue("later", consumer="no_such_function"),), client=lambda _: sqs
    )
    pump.send("later", "x")

    assert pump.consumable() == []
    assert pump.step() == 0


@pytest.mark.parametrize("response", [None, {"statusCode": 200}, "ok"])
def test_a_worker_answer_that_is_not_a_partial_batch_response_means_all_succeeded(response: Any) -> None:
    sqs = FakeSqs()
    endpoints = {"points": QueueEndpoints("url-points", "arn", "url-dlq")}
    pump = QueuePump(
        endpoints,
        "ap-east-1",
        lambda n, e: response,
        (Queue("points", consumer="health"),),
        client=lambda _: sqs,
    )
    pump.send("points", "x")

    pump.step()

    assert sqs.deleted == ["m1"]
