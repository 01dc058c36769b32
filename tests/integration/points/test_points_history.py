"""GET /v1/points/history on its sample event under moto."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from earnloop.local.samples import http_event
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.service import Ledger

from tests.integration.points.points_harness import http_call

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def history(moto_cloud, lambda_context, user: str | None = "u1", query: dict[str, str] | None = None):
    token = moto_cloud.token(user) if user else None
    event = http_event("apigw/points_history.json", token=token, query=query if query is not None else {})
    return http_call("points_history", event, lambda_context)


def seed(count: int, user: str = "u1") -> None:
    ledger = Ledger.default()
    for i in range(count):
        ledger.earn(
            EarnCommand(txn_id=f"scan#{i}", user_id=user, points=10, reason="scan"),
            START + timedelta(minutes=i),
        )


def test_history_pages_newest_first_and_the_last_page_has_no_cursor(moto_cloud, lambda_context):
    seed(5)
    Ledger.default().spend(
        SpendCommand(txn_id="redeem#k1", user_id="u1", points=15, reason="mall", actor="u1"),
        START + timedelta(hours=1),
    )
    seed(2, user="someone-else")

    status, _, first = history(moto_cloud, lambda_context, query={"limit": "4"})
    assert status == 200
    assert [i["txn_id"] for i in first["items"]] == ["redeem#k1", "scan#4", "scan#3", "scan#2"]
    assert first["items"][0] == {
        "txn_id": "redeem#k1",
        "type": "spend",
        "delta": -15,
        "balance_after": 35,
        "reason": "mall",
        "created_at": "2026-11-23T10:00:00.000Z",
    }
    _, _, second = history(moto_cloud, lambda_context, query={"limit": "4", "cursor": first["next_cursor"]})
    assert [i["txn_id"] for i in second["items"]] == ["scan#1", "scan#0"]
    assert "next_cursor" not in second


def test_a_page_that_ends_exactly_at_the_last_entry_has_no_cursor(moto_cloud, lambda_context):
    seed(3)
    _, _, page = history(moto_cloud, lambda_context, query={"limit": "3"})
    assert len(page["items"]) == 3 and "next_cursor" not in page


def test_the_default_page_is_twenty_entries(moto_cloud, lambda_context):
    seed(21)
    _, _, page = history(moto_cloud, lambda_context, query={})
    assert len(page["items"]) == 20 and "next_cursor" in page


def test_a_user_without_entries_gets_an_empty_page(moto_cloud, lambda_context):
    status, _, body = history(moto_cloud, lambda_context, user="u-new")
    assert (status, body) == (200, {"items": []})


def test_a_cursor_cannot_read_another_users_ledger(moto_cloud, lambda_context):
    seed(3, user="victim")
    _, _, page = history(moto_cloud, lambda_context, user="victim", query={"limit": "1"})
    status, _, mine = history(moto_cloud, lambda_context, user="u1", query={"cursor": page["next_cursor"]})
    assert status == 200 and mine == {"items": []}


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_QUERIES = {
    "limit-0": {"limit": "0"},
    "limit-101": {"limit": "101"},
    "limit-abc": {"limit": "abc"},
    "garbage": {"cursor": "%%%not-base64"},
    "list": {"cursor": _cursor(["a"])},
    "foreign-key": {"cursor": _cursor({"x": {"S": "y"}})},
    "not-an-entry": {"cursor": _cursor({"sk": {"S": "ACCOUNT"}, "lsi1sk": {"S": "x"}})},
    "wrong-type": {"cursor": _cursor({"sk": {"N": "1"}, "lsi1sk": {"S": "x"}})},
}


def test_bad_paging_input_is_a_422_problem(moto_cloud, lambda_context):
    seed(1)
    for name, query in BAD_QUERIES.items():
        status, headers, body = history(moto_cloud, lambda_context, query=query)
        assert status == 422, (name, body)
        assert headers["content-type"] == "application/problem+json", name
        assert body["code"] == "validation_error", name


def test_without_a_token_it_is_401(moto_cloud, lambda_context):
    status, _, body = history(moto_cloud, lambda_context, user=None)
    assert (status, body["code"]) == (401, "unauthenticated")
