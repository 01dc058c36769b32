"""The queue pump's Lambda semantics, against an in-memory fake of the SQS API (no sockets): partial
batch failures, crashed invocations, in-flight messages. (The stream pump: test_stream_pump.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from earnloop.local.pumps import QueueEndpoints, QueuePump
from earnloop.platform.resources import Queue


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
