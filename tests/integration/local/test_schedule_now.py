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


def test_moving_the_clock_past_an_expiry_date_expires_the_points(
    cloud: LocalCloud, as_make_dev: Path
) -> None:
    """The issue's demo: earn, move the clock past the bucket's last day, and the 00:10 Shanghai
    expiry job (scheduler -> plan -> expiry queue -> worker) takes the points; the history says so."""
    from earnloop.contexts import routers
    from earnloop.platform.app import create_app
    from earnloop.platform.clock import utcnow
    from earnloop.platform.settings import get_settings
    from earnloop.points import rules
    from earnloop.points.models import EarnCommand
    from earnloop.points.service import Ledger
    from fastapi.testclient import TestClient

    user = "01JDEMOCLOCKEXPIRY0000000A"
    earned = Ledger.default().earn(
        EarnCommand(txn_id=f"earn#{user}#demo", user_id=user, points=50, reason="demo", actor=user), utcnow()
    )
    assert earned.status == "applied"
    last_day = rules.bucket_for(utcnow(), get_settings().expiry_months)
    api = TestClient(create_app(routers()))
    cloud.pump_until_idle()

    clock_file.set_to(datetime.fromisoformat(f"{last_day + timedelta(days=1)}T00:11+08:00"), as_make_dev)
    cloud.pump_once()  # the schedules the clock passed, then their messages
    cloud.pump_until_idle()

    answer = api.get("/v1/points", headers=cloud.auth(user))
    assert answer.status_code == 200, answer.text
    points = answer.json()
    assert points["balance"] == 0 and points["expiring"] == []
    history = api.get("/v1/points/history", headers=cloud.auth(user)).json()["items"]
    assert [(entry["type"], entry["delta"], entry["balance_after"]) for entry in history][:1] == [
        ("expire", -50, 0)
    ]


def test_a_token_is_checked_against_the_moved_clock_not_the_real_one(cloud: LocalCloud) -> None:
    from earnloop.platform.auth import Principal, issue_token, verify_token
    from earnloop.platform.errors import UnauthenticatedError

    later = datetime.now(UTC) + timedelta(days=400)
    token, _ = issue_token(Principal(user_id="u1", roles=frozenset()), later)

    assert verify_token(token, later).user_id == "u1"  # a login after `earnloop clock advance`
    with pytest.raises(UnauthenticatedError, match="not yet valid"):
        verify_token(token, datetime.now(UTC))  # issued in the future
