"""`earnloop redrive` against a deployed stage: SQS's own message move task from the DLQ, with no
destination (each message returns to the queue it failed on). A fake of the SQS API (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest
from earnloop.local.redrive import RedriveError, redrive


class FakeSqs:
    class exceptions:  # the shape of a boto3 client's `exceptions`
        class QueueDoesNotExist(Exception):
            pass

    def __init__(self, *names: str) -> None:
        self.names = set(names)
        self.tasks: list[dict[str, Any]] = []

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        if QueueName not in self.names:
            raise self.exceptions.QueueDoesNotExist(QueueName)
        return {"QueueUrl": f"https://sqs.ap-east-1.amazonaws.com/123456789012/{QueueName}"}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        return {
            "Attributes": {"QueueArn": "arn:aws:sqs:ap-east-1:123456789012:" + QueueUrl.rsplit("/", 1)[1]}
        }

    def start_message_move_task(self, **request: Any) -> dict[str, str]:
        self.tasks.append(request)
        return {"TaskHandle": "handle-1"}

    def list_message_move_tasks(self, SourceArn: str, MaxResults: int) -> dict[str, Any]:
        return {"Results": [{"Status": "COMPLETED", "SourceArn": SourceArn}]}


def test_a_deployed_stage_redrives_with_a_message_move_task_back_to_the_source_queue() -> None:
    sqs = FakeSqs("earnloop-prod-points", "earnloop-prod-points-dlq")

    result = redrive(sqs, "points", stage="prod", wait_s=5)

    assert sqs.tasks == [{"SourceArn": "arn:aws:sqs:ap-east-1:123456789012:earnloop-prod-points-dlq"}]
    assert (result.task, result.status) == ("handle-1", "COMPLETED")
    assert "message move task COMPLETED" in result.summary()


def test_a_queue_the_stage_does_not_have_is_refused() -> None:
    with pytest.raises(RedriveError, match="earnloop-prod-nope-dlq"):
        redrive(FakeSqs(), "nope", stage="prod")
