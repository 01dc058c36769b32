"""The local cloud's movable clock: `earnloop clock` keeps an offset in a file, `utcnow()` adds it in
the local stage only (a deployed stage never reads a file for the time), and the local scheduler,
ticking on that time, fires a schedule whose time the clock passed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.local import cli, clock_file
from earnloop.local.scheduler import Scheduler
from earnloop.platform import clock
from earnloop.platform.catalog import FunctionSpec
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE, utcnow

if TYPE_CHECKING:
    from pathlib import Path

DAY = timedelta(days=1)


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The clock file the commands write, and a local-stage process that reads it (as `make dev`)."""
    path = tmp_path / "clock.json"
    monkeypatch.setattr(clock_file, "CLOCK_FILE", path)
    monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(path))
    monkeypatch.setenv("EARNLOOP_STAGE", "local")
    return path


def close_to(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < timedelta(seconds=5)


def test_utcnow_moves_with_the_local_clock_and_back(kept: Path) -> None:
    assert close_to(utcnow(), datetime.now(UTC))

    clock_file.advance(timedelta(days=3))
    assert close_to(utcnow(), datetime.now(UTC) + timedelta(days=3))
    clock_file.advance(timedelta(hours=12))
    assert close_to(utcnow(), datetime.now(UTC) + timedelta(days=3, hours=12))

    clock_file.set_to(datetime.fromisoformat("2027-01-01T00:10+08:00"))
    assert close_to(utcnow(), datetime(2026, 12, 31, 16, 10, tzinfo=UTC))
    assert clock.business_day(utcnow()).isoformat() == "2027-01-01"

    clock_file.reset()
    assert close_to(utcnow(), datetime.now(UTC))


def test_a_deployed_stage_never_reads_the_clock_file(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock_file.advance(timedelta(days=30))
    monkeypatch.setenv("EARNLOOP_STAGE", "prod")

    def no_file_reads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a deployed stage read a file for the time")

    monkeypatch.setattr(clock.os, "stat", no_file_reads)
    monkeypatch.setattr("builtins.open", no_file_reads)

    assert close_to(utcnow(), datetime.now(UTC))


def test_without_the_variable_the_local_stage_has_the_real_time(
    kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock_file.advance(timedelta(days=30))
    monkeypatch.delenv(LOCAL_CLOCK_VARIABLE)

    assert close_to(utcnow(), datetime.now(UTC))


def test_a_broken_clock_file_reads_as_the_real_time(kept: Path) -> None:
    kept.write_text("{not json")

    assert clock_file.offset() == timedelta(0)
    assert close_to(utcnow(), datetime.now(UTC))

    kept.write_text(json.dumps({"offset_s": 7200}))  # edited by hand: picked up as written
    assert close_to(utcnow(), datetime.now(UTC) + timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "step"),
    [("3d", 3 * DAY), ("12h", timedelta(hours=12)), ("90m", timedelta(minutes=90)), ("1d12h", 1.5 * DAY)],
)
def test_durations(text: str, step: timedelta) -> None:
    assert clock_file.parse_duration(text) == step


@pytest.mark.parametrize("text", ["", "3", "-1d", "3 days", "1h1d", "d"])
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        clock_file.parse_duration(text)


def test_a_time_without_an_offset_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="no offset"):
        clock_file.parse_moment("2027-01-01T00:10")
    assert clock_file.parse_moment("2026-12-31T16:10Z") == datetime(2026, 12, 31, 16, 10, tzinfo=UTC)


def test_the_clock_command(kept: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["clock", "set", "2027-01-01T00:10+08:00"]) == 0
    assert "2026-12-31T16:10:00Z (Asia/Shanghai 2027-01-01 00:10)" in capsys.readouterr().out
    assert cli.main(["clock", "advance", "1d"]) == 0
    assert "Asia/Shanghai 2027-01-02 00:10" in capsys.readouterr().out
    assert cli.main(["clock", "advance", "soon"]) == 2
    assert "error: not a duration" in capsys.readouterr().err
    assert cli.main(["clock", "reset"]) == 0
    assert "the real time" in capsys.readouterr().out
    assert not kept.exists()


def test_a_schedule_whose_time_the_clock_passed_fires_on_the_next_tick(kept: Path) -> None:
    fired: list[dict[str, Any]] = []
    expire = FunctionSpec(
        "points_expire_plan", "schedule", schedule="cron(10 0 * * ? *)", timezone="Asia/Shanghai"
    )
    scheduler = Scheduler([expire], lambda name, event: fired.append(event), "ap-east-1", utcnow())
    due = scheduler.next_fire("points_expire_plan")
    assert due is not None and scheduler.tick(utcnow()) == []

    clock_file.advance(DAY)

    assert scheduler.tick(utcnow()) == ["points_expire_plan"]
    assert [event["time"] for event in fired] == [due.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert scheduler.tick(utcnow()) == []
