"""Sending to a queue directly (work items of a job, not domain events: those go through the bus)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from earnloop.platform import aws
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic import BaseModel

# SendMessageBatch takes at most ten entries.
_BATCH = 10


class QueueSendError(Exception):
    """SQS refused some messages; the caller fails so that its own trigger retries it."""


def queue_url(name: str) -> str:
    """The URL of the context queue `name` (`earnloop-<stage>-<name>`, as infra names it); the `queue`
    grant allows sqs:GetQueueUrl on that queue only. Not cached: a job sends rarely, and tests move
    between emulators."""
    physical = f"earnloop-{get_settings().stage}-{name}"
    return str(aws.client("sqs").get_queue_url(QueueName=physical)["QueueUrl"])


def send_all(name: str, messages: Sequence[BaseModel]) -> None:
    """Sends each model as one JSON message to the queue `name`, ten to a call.

    Raises:
        QueueSendError: SQS refused some of them (those before were sent: receivers are idempotent).
    """
    sqs = aws.client("sqs")
    url = queue_url(name)
    for start in range(0, len(messages), _BATCH):
        chunk = messages[start : start + _BATCH]
        entries = [
            {"Id": str(index), "MessageBody": json.dumps(message.model_dump(mode="json"))}
            for index, message in enumerate(chunk)
        ]
        failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        if failed:
            raise QueueSendError(f"{len(failed)} of {len(entries)} messages to {name} refused: {failed[0]}")
