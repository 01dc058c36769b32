"""GET /v1/points on its sample event under moto."""

from __future__ import annotations

from datetime import UTC, datetime

from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger

from tests.support.lambdas import assert_problem, call_http

NOV = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)


def test_a_user_without_an_account_sees_a_zero_balance(moto_cloud):
    answer = call_http("points_get", token=moto_cloud.token("u-new"))
    assert answer.status == 200
    assert answer.json == {
        "balance": 0,
        "lifetime_earned": 0,
        "tier": "bronze",
        "status": "active",
        "expiring": [],
        "pending": 0,
    }


def test_the_balance_lists_its_buckets_by_expiry_date(moto_cloud):
    ledger = Ledger.default()
    ledger.earn(EarnCommand(txn_id="scan#b", user_id="u1", points=30, reason="scan"), DEC)
    ledger.earn(EarnCommand(txn_id="scan#a", user_id="u1", points=50, reason="scan"), NOV)
    ledger.earn(EarnCommand(txn_id="scan#other", user_id="u2", points=7, reason="scan"), NOV)

    answer = call_http("points_get", token=moto_cloud.token("u1"))

    assert answer.status == 200
    assert answer.json == {
        "balance": 80,
        "lifetime_earned": 80,
        "tier": "bronze",
        "status": "active",
        "expiring": [{"date": "2027-11-30", "points": 50}, {"date": "2027-12-31", "points": 30}],
        "pending": 0,
    }


def test_a_frozen_account_shows_its_status(moto_cloud):
    Ledger.default().freeze("u1", "review", "admin:a", NOV)
    assert call_http("points_get", token=moto_cloud.token("u1")).json["status"] == "frozen"


def test_without_a_valid_token_it_is_401_problem_json(moto_cloud):
    for token in (None, "not-a-jwt"):
        assert_problem(call_http("points_get", token=token), 401, "unauthenticated")
