"""The expiry job's roles: the planner sends to the expiry queue and touches nothing else; the
worker reads only the expiry index of the points table and sends only to its own queue."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def test_the_expiry_planner_may_only_send_to_the_expiry_queue(synth) -> None:
    queue = f"{synth.queue('expiry')}.Arn"
    sqs = {(a, r) for a, r in synth.permissions("points_expire_plan") if a.startswith("sqs:")}
    data = {a for a, _ in synth.permissions("points_expire_plan") if a.startswith(("dynamodb:", "events:"))}

    assert {("sqs:SendMessage", queue), ("sqs:GetQueueUrl", queue)} <= sqs
    assert {r for _, r in sqs} <= {queue, f"{synth.queue('schedules-dlq')}.Arn"}
    assert data == set()


def test_the_expiry_worker_sends_only_to_its_own_queue(synth) -> None:
    queue = f"{synth.queue('expiry')}.Arn"
    sends = {r for a, r in synth.permissions("points_expire") if a == "sqs:SendMessage"}

    assert sends == {queue}
