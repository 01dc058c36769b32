"""`earnloop redrive <queue> [--stage <stage>]`: moves a dead-letter queue's messages back to the
queue they failed on, once the cause is fixed.

In AWS this is SQS's own redrive (`StartMessageMoveTask` from the DLQ, destination left out so each
message returns to the queue it came from, at SQS's pace); the command starts the task and reports
its progress. moto implements no message move task, so on the local cloud the same move is made by
hand: receive from the DLQ, send the body and attributes to the source queue, delete from the DLQ
(a message is sent before it is deleted: a crash in between duplicates it, which the idempotent
consumers absorb, and never loses it).

Names follow the definitions, as infra deploys them: queue `earnloop-<stage>-<name>`, its DLQ
`earnloop-<stage>-<name>-dlq`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

LOCAL_STAGE = "local"
MOVE_BATCH = 10


class RedriveError(RuntimeError):
    """The queue is unknown, or is not one that can be redriven."""


@dataclass(frozen=True)
class Redrive:
    queue: str
    dlq_url: str
    moved: int | None
    task: str | None
    status: str

    def summary(self) -> str:
        if self.task is not None:
            return f"{self.queue}: message move task {self.status} ({self.task})"
        return f"{self.queue}: moved {self.moved} message(s) from its dead-letter queue back to the queue"


def physical(stage: str, name: str) -> str:
    return f"earnloop-{stage}-{name}"


def _url(sqs: Any, name: str) -> str:
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist as error:
        raise RedriveError(f"no queue {name}") from error


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def redrive(sqs: Any, queue: str, stage: str = LOCAL_STAGE, wait_s: float = 0.0) -> Redrive:
    """Moves every message of `queue`'s DLQ back to `queue` (a logical name: "points", "claims").

    Raises:
        RedriveError: no such queue or DLQ in this stage.
    """
    dlq_url = _url(sqs, physical(stage, f"{queue}-dlq"))
    source_url = _url(sqs, physical(stage, queue))
    if stage == LOCAL_STAGE:
        return Redrive(queue, dlq_url, move_by_hand(sqs, dlq_url, source_url), None, "done")
    # Without DestinationArn, SQS returns each message to the queue whose redrive sent it here.
    task = str(sqs.start_message_move_task(SourceArn=_arn(sqs, dlq_url))["TaskHandle"])
    status = "RUNNING"
    deadline = time.monotonic() + wait_s
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=_arn(sqs, dlq_url), MaxResults=1).get("Results", [])
        status = str(tasks[0]["Status"]) if tasks else status
        if status != "RUNNING" or time.monotonic() >= deadline:
            break
        time.sleep(2)
    return Redrive(queue, dlq_url, None, task, status)


def move_by_hand(sqs: Any, from_url: str, to_url: str) -> int:
    """Receive, send, delete until the DLQ is empty; returns how many messages moved."""
    moved = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=from_url,
            MaxNumberOfMessages=MOVE_BATCH,
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return moved
        sqs.send_message_batch(
            QueueUrl=to_url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": message["Body"],
                    **(
                        {"MessageAttributes": message["MessageAttributes"]}
                        if message.get("MessageAttributes")
                        else {}
                    ),
                }
                for index, message in enumerate(messages)
            ],
        )
        sqs.delete_message_batch(
            QueueUrl=from_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        moved += len(messages)
