"""Check-ins over HTTP: once per business day, streaks across a month boundary and a missed day,
the day-7 bonus, the rule switched off, a frozen account, and the `CheckedIn` event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE
from earnloop.platform.events import Change
from earnloop.points.events import CheckedIn, derive
from earnloop.points.store import PointsStore

from tests.support.lambdas import assert_problem, call_http, stored

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

USER = "wang"


class Calendar:
    """Moves the local stage's platform clock to a moment, as `earnloop clock` does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self._file = tmp_path / "clock.json"
        monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(self._file))

    def at(self, moment: datetime) -> None:
        offset = moment - datetime.now(UTC)
        self._file.write_text(json.dumps({"offset_s": offset.total_seconds()}))


def shanghai_noon(day: str) -> datetime:
    # 12:00 in Asia/Shanghai is 04:00 UTC.
    return datetime.fromisoformat(f"{day}T04:00:00+00:00")


def check_in(moto_cloud: Any, user: str = USER) -> Any:
    return call_http("checkins_create", token=moto_cloud.token(user))


def checkins(moto_cloud: Any, calendar: Calendar, days: list[str]) -> list[tuple[int, int]]:
    answers = []
    for day in days:
        calendar.at(shanghai_noon(day))
        answer = check_in(moto_cloud)
        assert answer.status == 200, answer.body
        answers.append((answer.json["streak"], answer.json["points"]))
    return answers


def test_one_check_in_per_business_day_earns_the_rule_once(moto_cloud, monkeypatch, tmp_path) -> None:
    calendar = Calendar(monkeypatch, tmp_path)
    # 23:30 UTC on 2027-03-09 is already 2027-03-10 in Shanghai: the business day counts.
    calendar.at(datetime(2027, 3, 9, 23, 30, tzinfo=UTC))
    first = check_in(moto_cloud)
    assert (first.status, first.json) == (200, {"streak": 1, "points": 5})
    calendar.at(datetime(2027, 3, 10, 15, 59, tzinfo=UTC))  # 23:59 the same Shanghai day
    assert_problem(check_in(moto_cloud), 409, "limit_reached")

    store = PointsStore.default()
    assert store.account(USER).balance == 5
    [entry] = store.entries(USER)
    assert (entry.txn_id, entry.entry_type, entry.delta) == (f"checkin#{USER}#2027-03-10", "earn", 5)
    item = stored(
        moto_cloud.settings.table_name("points"), {"pk": f"ACCT#{USER}", "sk": "CHECKIN#2027-03-10"}
    )
    assert item is not None and (item["streak"], item["points"]) == (1, 5)
    # Its stream record is what tells the others (segments count it as activity).
    assert derive(Change("points", "INSERT", None, item)) == [
        CheckedIn(user_id=USER, day="2027-03-10", streak=1, points=5)
    ]
    assert_problem(call_http("checkins_create"), 401, "unauthenticated")


def test_the_streak_crosses_a_month_boundary_and_restarts_after_a_missed_day(
    moto_cloud, monkeypatch, tmp_path
) -> None:
    calendar = Calendar(monkeypatch, tmp_path)
    days = ["2027-02-27", "2027-02-28", "2027-03-01", "2027-03-02", "2027-03-04", "2027-03-05"]
    assert checkins(moto_cloud, calendar, days) == [(1, 5), (2, 5), (3, 5), (4, 5), (1, 5), (2, 5)]
    assert PointsStore.default().account(USER).balance == 30


def test_day_seven_of_a_streak_pays_double_and_the_cycle_restarts(moto_cloud, monkeypatch, tmp_path) -> None:
    calendar = Calendar(monkeypatch, tmp_path)
    start = datetime(2027, 12, 27).date()  # across a year end too
    days = [(start + timedelta(days=n)).isoformat() for n in range(15)]
    answers = checkins(moto_cloud, calendar, days)
    assert [streak for streak, _ in answers] == list(range(1, 16))
    assert [points for _, points in answers] == [5] * 6 + [10] + [5] * 6 + [10] + [5]
    assert PointsStore.default().account(USER).balance == 13 * 5 + 2 * 10


def test_with_the_rule_off_the_check_in_counts_for_the_streak_and_pays_nothing(
    moto_cloud, monkeypatch, tmp_path
) -> None:
    calendar = Calendar(monkeypatch, tmp_path)
    assert checkins(moto_cloud, calendar, ["2027-05-01"]) == [(1, 5)]
    off = call_http(
        "admin_earning_rules_put",
        token=moto_cloud.token("boss", "admin"),
        body={"points": 5, "daily_cap": None, "enabled": False},
        path_parameters={"rule": "checkin"},
    )
    assert off.status == 200
    # The next day is far beyond the rules' cache interval.
    assert checkins(moto_cloud, calendar, ["2027-05-02"]) == [(2, 0)]
    calendar.at(shanghai_noon("2027-05-02"))
    assert_problem(check_in(moto_cloud), 409, "limit_reached")
    assert [e.txn_id for e in PointsStore.default().entries(USER)] == [f"checkin#{USER}#2027-05-01"]


def test_a_frozen_account_cannot_check_in(moto_cloud, monkeypatch, tmp_path) -> None:
    calendar = Calendar(monkeypatch, tmp_path)
    calendar.at(shanghai_noon("2027-06-01"))
    moto_cloud.register(USER)
    frozen = call_http(
        "admin_users_freeze",
        token=moto_cloud.token("boss", "admin"),
        body={"reason": "farming"},
        path_parameters={"user_id": USER},
    )
    assert frozen.status == 200
    assert_problem(check_in(moto_cloud), 423, "account_frozen")
    item = stored(
        moto_cloud.settings.table_name("points"), {"pk": f"ACCT#{USER}", "sk": "CHECKIN#2027-06-01"}
    )
    assert item is None
