"""The daily segment move's roles: the planner runs at 03:00 Shanghai and only sends to the segments
queue; the mover queries only the activity index and sends only to its own queue; nothing but the
admin route and the identity workers writes or reads lifecycle data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def test_the_segment_planner_runs_at_three_in_shanghai_and_may_only_send_to_its_queue(synth) -> None:
    schedule = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", "segments_plan"))
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 3 * * ? *)",
        "Asia/Shanghai",
    )
    queue = f"{synth.queue('segments')}.Arn"
    sqs = {(a, r) for a, r in synth.permissions("segments_plan") if a.startswith("sqs:")}
    data = {a for a, _ in synth.permissions("segments_plan") if a.startswith(("dynamodb:", "events:"))}

    assert {("sqs:SendMessage", queue), ("sqs:GetQueueUrl", queue)} <= sqs
    assert {r for _, r in sqs} <= {queue, f"{synth.queue('schedules-dlq')}.Arn"}
    assert data == set()


def test_the_mover_queries_only_the_activity_index_and_sends_only_to_its_own_queue(synth) -> None:
    permissions = synth.permissions("segments_move")
    queried = {str(r) for a, r in permissions if a == "dynamodb:Query"}
    sends = {r for a, r in permissions if a == "sqs:SendMessage"}

    assert any("by_activity" in r for r in queried)
    assert not any("index/*" in r for r in queried)
    assert sends == {f"{synth.queue('segments')}.Arn"}
    assert not {a for a, _ in permissions if a in ("dynamodb:DeleteItem", "dynamodb:Scan")}


def test_the_admin_view_only_reads(synth) -> None:
    actions = {a for a, _ in synth.permissions("admin_users_get") if a.startswith("dynamodb:")}
    assert actions and not {
        a for a in actions if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete"))
    }
