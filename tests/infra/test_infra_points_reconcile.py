"""The nightly reconciliation: planned at 02:30 Shanghai, the planner only sends to the reconcile
queue, the worker queries only the `by_change` index, and a `LedgerMismatch` count pages the
operators through the alarm topic."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def test_the_planner_runs_at_half_past_two_in_shanghai_and_may_only_send_to_its_queue(synth) -> None:
    schedule = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", "points_reconcile_plan"))
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(30 2 * * ? *)",
        "Asia/Shanghai",
    )
    queue = f"{synth.queue('reconcile')}.Arn"
    sqs = {(a, r) for a, r in synth.permissions("points_reconcile_plan") if a.startswith("sqs:")}
    plan = synth.permissions("points_reconcile_plan")
    data = {a for a, _ in plan if a.startswith(("dynamodb:", "events:"))}

    assert {("sqs:SendMessage", queue), ("sqs:GetQueueUrl", queue)} <= sqs
    assert {r for _, r in sqs} <= {queue, f"{synth.queue('schedules-dlq')}.Arn"}
    assert data == set()


def test_the_worker_queries_only_the_change_index_and_sends_only_to_its_own_queue(synth) -> None:
    permissions = synth.permissions("points_reconcile")
    queried = {r for a, r in permissions if a == "dynamodb:Query"}
    sends = {r for a, r in permissions if a == "sqs:SendMessage"}

    assert all("by_expiry" not in str(r) for r in queried)
    assert any("by_change" in str(r) for r in queried)
    assert sends == {f"{synth.queue('reconcile')}.Arn"}


def test_a_ledger_mismatch_raises_an_alarm_at_its_first_count(synth) -> None:
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "LedgerMismatch"
    ]

    assert (alarm["Namespace"], alarm["Statistic"], alarm["Threshold"]) == ("earnloop", "Sum", 1)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "earnloop"}]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
