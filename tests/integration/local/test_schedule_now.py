"""On a running local cloud: `earnloop schedule run <function>` fires a schedule function now, with
the Scheduled Event at the local clock's time, and a clock moved forward makes the cloud's own
pump round fire the schedules whose time it passed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.local import cli, clock_file, invoke
from earnloop.local.cloud import LocalCloud

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clock") / "clock.json"


@pytest.fixture(scope="module")
def cloud(clock_path: Path) -> Iterator[LocalCloud]:
    # As `earnloop dev` starts it: the functions and the scheduler read the moved clock.
    with LocalCloud(dynamodb="moto", environment=clock_file.environment(clock_path)) as running:
        yield running


@pytest.fixture
def as_make_dev(
    cloud: LocalCloud, clock_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The files a running `make dev` leaves for the commands: its endpoints and its clock."""
    assert cloud.endpoints is not None
    endpoints = tmp_path / "endpoints.json"
    invoke.write_endpoints(cloud.endpoints, endpoints)
    monkeypatch.setattr(invoke, "ENDPOINTS_FILE", endpoints)
    monkeypatch.setattr(clock_file, "CLOCK_FILE", clock_path)
    yield clock_path
    clock_file.reset(clock_path)


def fired_at(err: str) -> datetime:
    text = err.split(" at ", 1)[1].split(",", 1)[0]
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_schedule_function_fires_now_against_the_running_cloud(
    as_make_dev: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["schedule", "run", "claims_sweep"]) == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == {"touched": 0}
    assert "fired claims_sweep" in err and "against the running local cloud" in err
    assert abs(fired_at(err) - datetime.now(UTC)) < timedelta(seconds=5)


def test_fire_now_uses_the_moved_clock(as_make_dev: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock_file.advance(timedelta(days=3), as_make_dev)

    assert cli.main(["schedule", "run", "claims_sweep"]) == 0

    assert abs(fired_at(capsys.readouterr().err) - (datetime.now(UTC) + timedelta(days=3))) < timedelta(
        seconds=5
    )


def test_only_schedule_functions_run_and_only_against_a_running_cloud(
    as_make_dev: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["schedule", "run", "points_get"]) == 1
    assert "not a schedule function (they are: claims_sweep" in capsys.readouterr().err

    monkeypatch.setattr(invoke, "ENDPOINTS_FILE", tmp_path / "nothing.json")
    assert cli.main(["schedule", "run", "claims_sweep"]) == 1
    assert "no `make dev` is running" in capsys.readouterr().err


def test_moving_the_clock_past_a_schedule_fires_it_on_the_next_pump_round(
    cloud: LocalCloud, as_make_dev: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cloud.scheduler is not None
    fired: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(cloud.scheduler, "invoke", lambda name, event: fired.append((name, event)))
    cloud.pump_once()
    fired.clear()
    due = cloud.scheduler.next_fire("claims_sweep")  # rate(15 minutes) after the cloud started
    assert due is not None and due > datetime.now(UTC)

    clock_file.advance(timedelta(hours=1), as_make_dev)
    cloud.pump_once()
    moved_now = datetime.now(UTC) + timedelta(hours=1)

    # Once for the four periods passed, as of the latest of them.
    [sweep] = [event for name, event in fired if name == "claims_sweep"]
    time = datetime.fromisoformat(sweep["time"].replace("Z", "+00:00"))
    assert moved_now - timedelta(minutes=15) < time <= moved_now
    assert (time - due.replace(microsecond=0)) % timedelta(minutes=15) == timedelta(0)  # in whole seconds
