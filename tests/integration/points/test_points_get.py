"""GET /v1/points on its sample event under moto."""

from __future__ import annotations

from datetime import UTC, datetime

from earnloop.local.samples import http_event
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger

from tests.integration.points.points_harness import http_call

NOV = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)


def call(moto_cloud, lambda_context, token: str | None):
    return http_call("points_get", http_event("apigw/points_get.json", token=token), lambda_context)


def test_a_user_without_an_account_sees_a_zero_balance(moto_cloud, lambda_context):
    status, _, body = call(moto_cloud, lambda_context, moto_cloud.token("u-new"))
    assert status == 200
    assert body == {"balance": 0, "lifetime_earned": 0, "tier": "bronze", "status": "active", "expiring": []}


def test_the_balance_lists_its_buckets_by_expiry_date(moto_cloud, lambda_context):
    ledger = Ledger.default()
    ledger.earn(EarnCommand(txn_id="scan#b", user_id="u1", points=30, reason="scan"), DEC)
    ledger.earn(EarnCommand(txn_id="scan#a", user_id="u1", points=50, reason="scan"), NOV)
    ledger.earn(EarnCommand(txn_id="scan#other", user_id="u2", points=7, reason="scan"), NOV)

    status, _, body = call(moto_cloud, lambda_context, moto_cloud.token("u1"))

    assert status == 200
    assert body == {
        "balance": 80,
        "lifetime_earned": 80,
        "tier": "bronze",
        "status": "active",
        "expiring": [{"date": "2027-11-30", "points": 50}, {"date": "2027-12-31", "points": 30}],
    }


def test_a_frozen_account_shows_its_status(moto_cloud, lambda_context):
    Ledger.default().freeze("u1", "review", "admin:a", NOV)
    _, _, body = call(moto_cloud, lambda_context, moto_cloud.token("u1"))
    assert body["status"] == "frozen"


def test_without_a_valid_token_it_is_401_problem_json(moto_cloud, lambda_context):
    for token in (None, "not-a-jwt"):
        status, headers, body = call(moto_cloud, lambda_context, token)
        assert status == 401
        assert headers["content-type"] == "application/problem+json"
        assert body["code"] == "unauthenticated"
