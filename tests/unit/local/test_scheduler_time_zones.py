"""The local scheduler evaluates a cron() in its function's own time zone, as EventBridge Scheduler
does (DST gaps skipped, repeated hours fired once); rate() ignores the zone; a clock set back
re-plans. The deployed side of the same field is in tests/infra/test_infra_schedules.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from earnloop.local.scheduler import Cron, Rate, Scheduler, parse_schedule
from earnloop.platform.catalog import FunctionSpec


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cron(expression: str, timezone: str) -> Cron:
    schedule = parse_schedule(expression, timezone)
    assert isinstance(schedule, Cron)
    return schedule


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # 00:10 Shanghai (UTC+8, no DST) is 16:10 UTC the day before.
        ("2026-12-02T16:09:00", "2026-12-02T16:10:00"),
        ("2026-12-02T16:10:00", "2026-12-03T16:10:00"),
        # New year in Shanghai starts at 16:00 UTC on 31 December.
        ("2026-12-31T12:00:00", "2026-12-31T16:10:00"),
    ],
)
def test_a_shanghai_cron_fires_at_shanghai_wall_time(after: str, expected: str) -> None:
    assert cron("cron(10 0 * * ? *)", "Asia/Shanghai").next_after(at(after)) == at(expected)


def test_day_fields_are_shanghai_days_not_utc_days() -> None:
    # 00:10 on the 1st in Shanghai is still the last day of the previous month in UTC.
    monthly = cron("cron(10 0 1 * ? *)", "Asia/Shanghai")

    assert monthly.next_after(at("2026-12-02T00:00:00")) == at("2026-12-31T16:10:00")


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2027-03-26T12:00:00", "2027-03-27T08:00:00"),  # CET, UTC+1
        ("2027-03-27T12:00:00", "2027-03-28T07:00:00"),  # the first day of CEST, UTC+2
        ("2027-10-30T12:00:00", "2027-10-31T08:00:00"),  # back to CET
    ],
)
def test_a_dst_zone_keeps_the_wall_time_and_moves_the_utc_time(after: str, expected: str) -> None:
    assert cron("cron(0 9 * * ? *)", "Europe/Berlin").next_after(at(after)) == at(expected)


def test_a_wall_time_the_spring_gap_skips_does_not_fire_that_day() -> None:
    nightly = cron("cron(30 2 * * ? *)", "Europe/Berlin")

    # 02:30 does not exist in Berlin on 28 March 2027 (02:00 CET -> 03:00 CEST).
    assert nightly.next_after(at("2027-03-27T01:30:00")) == at("2027-03-29T00:30:00")


def test_a_wall_time_the_autumn_repeats_fires_once() -> None:
    nightly = cron("cron(30 2 * * ? *)", "Europe/Berlin")

    # 02:30 happens twice on 31 October 2027: at 00:30 UTC (CEST) and 01:30 UTC (CET).
    first = nightly.next_after(at("2027-10-30T12:00:00"))
    assert first == at("2027-10-31T00:30:00")
    assert nightly.next_after(first) == at("2027-11-01T01:30:00")


def test_every_minute_of_a_repeated_hour_fires_once() -> None:
    during = cron("cron(* 2 * * ? *)", "Europe/Berlin")
    fired: list[datetime] = []
    moment = during.next_after(at("2027-10-30T23:59:00"))  # from 02:00 CEST on 31 October
    while moment is not None and moment < at("2027-11-01T00:00:00"):
        fired.append(moment)
        moment = during.next_after(moment)

    # 02:00-02:59 CEST only (00:00-00:59 UTC); the repeat in CET (01:00-01:59 UTC) is not fired.
    assert len(fired) == 60
    assert (fired[0], fired[-1]) == (at("2027-10-31T00:00:00"), at("2027-10-31T00:59:00"))
    assert moment == at("2027-11-01T01:00:00")


def test_a_rate_ignores_the_time_zone_even_across_dst() -> None:
    daily = parse_schedule("rate(1 day)", "Europe/Berlin")

    assert isinstance(daily, Rate)
    assert daily.next_after(at("2027-03-27T12:00:00")) == at("2027-03-28T12:00:00")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, event: dict[str, Any]) -> None:
        self.calls.append((name, event))


EXPIRE = FunctionSpec(
    "points_expire_plan", "schedule", schedule="cron(10 0 * * ? *)", timezone="Asia/Shanghai"
)


def test_the_scheduler_fires_a_shanghai_job_at_its_utc_moment() -> None:
    invoke = Recorder()
    scheduler = Scheduler([EXPIRE], invoke, "ap-east-1", now=at("2026-12-02T16:00:00"))

    assert scheduler.tick(at("2026-12-02T16:09:59")) == []
    assert scheduler.tick(at("2026-12-02T16:10:01")) == ["points_expire_plan"]

    assert invoke.calls[0][1]["time"] == "2026-12-02T16:10:00Z"
    assert scheduler.next_fire("points_expire_plan") == at("2026-12-03T16:10:00")


def test_a_clock_moved_forward_fires_once_and_moved_back_plans_again() -> None:
    invoke = Recorder()
    scheduler = Scheduler([EXPIRE], invoke, "ap-east-1", now=at("2026-12-02T12:00:00"))

    # Three days ahead: the three missed runs are one run, as of the latest (the job's business day
    # is then the clock's: 5 December in Shanghai).
    assert scheduler.tick(at("2026-12-05T12:00:00")) == ["points_expire_plan"]
    assert invoke.calls[0][1]["time"] == "2026-12-04T16:10:00Z"
    assert scheduler.next_fire("points_expire_plan") == at("2026-12-05T16:10:00")
    # Back to the real time: the job is due again at the real day's 00:10, not three days later.
    assert scheduler.tick(at("2026-12-02T12:00:01")) == []
    assert scheduler.next_fire("points_expire_plan") == at("2026-12-02T16:10:00")
    assert len(invoke.calls) == 1


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "utc", "../../etc/passwd", "+08:00"])
def test_a_schedule_in_an_unknown_time_zone_is_refused_when_declared(zone: str) -> None:
    with pytest.raises(ValueError, match="IANA time zone"):
        FunctionSpec("nightly", "schedule", schedule="cron(0 0 * * ? *)", timezone=zone)


def test_a_schedule_runs_in_utc_unless_told() -> None:
    spec = FunctionSpec("nightly", "schedule", schedule="cron(0 0 * * ? *)")
    scheduler = Scheduler([spec], Recorder(), "ap-east-1", now=at("2026-12-02T12:00:00"))

    assert spec.timezone == "UTC"
    assert scheduler.next_fire("nightly") == at("2026-12-03T00:00:00")


@pytest.mark.parametrize(
    ("expression", "latest"),
    [
        ("rate(1 minute)", "2027-12-02T12:00:30"),  # started at :30, fires at :30
        ("cron(* * * * ? *)", "2027-12-02T12:00:00"),
        ("cron(10 0 * * ? *)", "2027-12-01T16:10:00"),  # 00:10 Shanghai on 2 December 2027
        ("cron(0 0 1 1 ? *)", "2026-12-31T16:00:00"),  # yearly (Shanghai new year): a wider window
    ],
)
def test_a_clock_moved_a_year_ahead_fires_each_schedule_once_as_of_its_latest_time(
    expression: str, latest: str
) -> None:
    invoke = Recorder()
    spec = FunctionSpec("job", "schedule", schedule=expression, timezone="Asia/Shanghai")
    scheduler = Scheduler([spec], invoke, "ap-east-1", now=at("2026-12-02T11:59:30"))

    assert scheduler.tick(at("2027-12-02T12:00:30")) == ["job"]

    assert [event["time"] for _, event in invoke.calls] == [at(latest).strftime("%Y-%m-%dT%H:%M:%SZ")]
