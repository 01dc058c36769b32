"""The expiry reminders' planner: scheduled at 10:00 Shanghai, it sends to the expiry queue and
touches nothing else; the notify queue hears `PointsExpiringSoon` from the points source."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def test_the_reminder_planner_runs_at_ten_in_shanghai_and_may_only_send_to_the_expiry_queue(synth) -> None:
    schedule = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", "points_remind_plan"))
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 10 * * ? *)",
        "Asia/Shanghai",
    )
    queue = f"{synth.queue('expiry')}.Arn"
    sqs = {(a, r) for a, r in synth.permissions("points_remind_plan") if a.startswith("sqs:")}
    data = {a for a, _ in synth.permissions("points_remind_plan") if a.startswith(("dynamodb:", "events:"))}

    assert {("sqs:SendMessage", queue), ("sqs:GetQueueUrl", queue)} <= sqs
    assert {r for _, r in sqs} <= {queue, f"{synth.queue('schedules-dlq')}.Arn"}
    assert data == set()
