"""The local scheduler fires schedule functions as EventBridge would (UTC), tested with made-up specs
so the expressions it must understand do not depend on what the catalog holds today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from earnloop.local.scheduler import Cron, Rate, Scheduler, parse_schedule
from earnloop.platform.catalog import FunctionSpec, http


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "every"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)],
)
def test_rates_are_parsed_to_their_period(expression: str, every: int) -> None:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, Rate) and schedule.every == timedelta(seconds=every)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",  # EventBridge wants the singular for 1
        "rate(5 minute)",
        "rate(0 minutes)",
        "every day",
        "cron(0 1 * * *)",  # five fields: EventBridge has six
        "cron(0 1 * * MON *)",  # both day fields set
        "cron(0 1 ? * ? *)",  # neither
        "cron(0 1 L * ? *)",  # L, W and # are refused rather than guessed
        "cron(0 1 ? * 6#3 *)",
        "cron(61 1 * * ? *)",
    ],
)
def test_expressions_eventbridge_would_refuse_or_we_cannot_honour_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 1 * * ? *)", "2026-11-23T00:59:59", "2026-11-23T01:00:00"),
        ("cron(0 1 * * ? *)", "2026-11-23T01:00:00", "2026-11-24T01:00:00"),
        ("cron(30 18 * * ? *)", "2026-11-23T18:31:00", "2026-11-24T18:30:00"),
        ("cron(0/15 * * * ? *)", "2026-11-23T09:07:00", "2026-11-23T09:15:00"),
        ("cron(0 9 ? * MON-FRI *)", "2026-11-27T10:00:00", "2026-11-30T09:00:00"),  # Fri -> Mon
        ("cron(0 9 ? * 1 *)", "2026-11-23T10:00:00", "2026-11-29T09:00:00"),  # 1 is Sunday
        ("cron(0 0 1 JAN,JUL ? *)", "2026-11-23T00:00:00", "2027-01-01T00:00:00"),
        ("cron(0 0 29 2 ? *)", "2026-03-01T00:00:00", "2028-02-29T00:00:00"),
    ],
)
def test_cron_finds_the_next_firing_time_in_utc(expression: str, after: str, expected: str) -> None:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, Cron)
    assert schedule.next_after(at(after)) == at(expected)


def test_a_cron_that_never_fires_again_says_so() -> None:
    assert Cron.parse("0 0 1 1 ? 2020").next_after(at("2026-11-23T00:00:00")) is None


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, event: dict[str, Any]) -> None:
        self.calls.append((name, event))


def test_a_schedule_function_fires_when_due_with_the_scheduled_event_shape() -> None:
    spec = FunctionSpec("nightly_reconcile", "schedule", schedule="cron(30 18 * * ? *)")
    invoke = Recorder()
    scheduler = Scheduler([spec, http("health")], invoke, "ap-east-1", now=at("2026-11-23T18:00:00"))

    assert scheduler.names == ["nightly_reconcile"]
    assert scheduler.tick(at("2026-11-23T18:29:59")) == []
    assert scheduler.tick(at("2026-11-23T18:30:02")) == ["nightly_reconcile"]
    assert scheduler.tick(at("2026-11-23T18:30:40")) == []

    [(name, event)] = invoke.calls
    assert name == "nightly_reconcile"
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2026-11-23T18:30:00Z"
    assert event["resources"] == [
        "arn:aws:events:ap-east-1:123456789012:rule/earnloop-local-nightly_reconcile"
    ]
    assert scheduler.next_fire("nightly_reconcile") == at("2026-11-24T18:30:00")


def test_missed_periods_fire_once_not_once_each() -> None:
    spec = FunctionSpec("sweep", "schedule", schedule="rate(5 minutes)")
    invoke = Recorder()
    scheduler = Scheduler([spec], invoke, "ap-east-1", now=at("2026-11-23T09:00:00"))

    assert scheduler.tick(at("2026-11-23T09:04:59")) == []
    # A laptop asleep for an hour catches up with one run.
    assert scheduler.tick(at("2026-11-23T10:02:00")) == ["sweep"]
    assert len(invoke.calls) == 1
    assert scheduler.next_fire("sweep") == at("2026-11-23T10:05:00")


def test_a_schedule_function_can_be_fired_by_hand() -> None:
    invoke = Recorder()
    scheduler = Scheduler(
        [FunctionSpec("sweep", "schedule", schedule="rate(1 day)")],
        invoke,
        "ap-east-1",
        at("2026-11-23T09:00:00"),
    )

    scheduler.fire("sweep", at("2026-11-23T09:30:00"))

    assert invoke.calls[0][1]["time"] == "2026-11-23T09:30:00Z"


def test_a_failing_run_is_logged_and_the_schedule_keeps_its_rhythm() -> None:
    def broken(name: str, event: dict[str, Any]) -> None:
        raise RuntimeError("the job failed")

    scheduler = Scheduler(
        [FunctionSpec("sweep", "schedule", schedule="rate(5 minutes)")],
        broken,
        "ap-east-1",
        at("2026-11-23T09:00:00"),
    )

    assert scheduler.tick(at("2026-11-23T09:05:00")) == ["sweep"]
    assert scheduler.next_fire("sweep") == at("2026-11-23T09:10:00")
