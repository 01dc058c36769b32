"""The outbox sweeps (platform/outbox_sweep.py): each schedule reads no index but its table's
`outbox_due`, every 15 minutes; the mall worker that confirms orders touches only the mall table."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("function", ["content_outbox_sweep", "mall_outbox_sweep"])
def test_a_sweep_queries_only_its_outbox_index_every_quarter_hour(synth, function) -> None:
    schedule = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", function))
    indexes = {str(r).split("/index/")[1] for a, r in synth.permissions(function) if "/index/" in str(r)}

    assert schedule["ScheduleExpression"] == "rate(15 minutes)"
    assert indexes == {"outbox_due"}
    # It publishes nothing itself: the stream publisher does, from the touched items.
    assert not {a for a, _ in synth.permissions(function) if a.startswith("events:")}
    sends = {r for a, r in synth.permissions(function) if a == "sqs:SendMessage"}
    assert sends <= {f"{synth.queue('schedules-dlq')}.Arn"}


def test_the_mall_worker_writes_only_the_mall_table(synth) -> None:
    tables = {str(r) for a, r in synth.permissions("mall_worker") if a.startswith("dynamodb:Update")}

    assert tables and all(synth.table("mall") in r for r in tables)
