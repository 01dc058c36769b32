"""GET /v1/points/history on its sample event under moto."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.service import Ledger

from tests.support.lambdas import HttpAnswer, assert_problem, call_http

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def history(moto_cloud, user: str | None = "u1", query: dict[str, str] | None = None) -> HttpAnswer:
    token = moto_cloud.token(user) if user else None
    return call_http("points_history", token=token, query=query if query is not None else {})


def seed(count: int, user: str = "u1") -> None:
    ledger = Ledger.default()
    for i in range(count):
        ledger.earn(
            EarnCommand(txn_id=f"scan#{i}", user_id=user, points=10, reason="scan"),
            START + timedelta(minutes=i),
        )


def test_history_pages_newest_first_and_the_last_page_has_no_cursor(moto_cloud):
    seed(5)
    Ledger.default().spend(
        SpendCommand(txn_id="redeem#k1", user_id="u1", points=15, reason="mall", actor="u1"),
        START + timedelta(hours=1),
    )
    seed(2, user="someone-else")

    answer = history(moto_cloud, query={"limit": "4"})
    assert answer.status == 200
    first = answer.json
    assert [i["txn_id"] for i in first["items"]] == ["redeem#k1", "scan#4", "scan#3", "scan#2"]
    assert first["items"][0] == {
        "txn_id": "redeem#k1",
        "type": "spend",
        "delta": -15,
        "balance_after": 35,
        "reason": "mall",
        "created_at": "2026-11-23T10:00:00.000Z",
    }
    second = history(moto_cloud, query={"limit": "4", "cursor": first["next_cursor"]}).json
    assert [i["txn_id"] for i in second["items"]] == ["scan#1", "scan#0"]
    assert "next_cursor" not in second


def test_a_page_that_ends_exactly_at_the_last_entry_has_no_cursor(moto_cloud):
    seed(3)
    page = history(moto_cloud, query={"limit": "3"}).json
    assert len(page["items"]) == 3 and "next_cursor" not in page


def test_the_default_page_is_twenty_entries(moto_cloud):
    seed(21)
    page = history(moto_cloud, query={}).json
    assert len(page["items"]) == 20 and "next_cursor" in page


def test_a_user_without_entries_gets_an_empty_page(moto_cloud):
    answer = history(moto_cloud, user="u-new")
    assert (answer.status, answer.json) == (200, {"items": []})


def test_a_cursor_cannot_read_another_users_ledger(moto_cloud):
    seed(3, user="victim")
    page = history(moto_cloud, user="victim", query={"limit": "1"}).json
    mine = history(moto_cloud, user="u1", query={"cursor": page["next_cursor"]})
    assert (mine.status, mine.json) == (200, {"items": []})


ENTRY_TIME = "2026-11-23T09:00:00.000Z"


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
    "empty-sort-key": {"cursor": _cursor({"sk": {"S": ""}, "lsi1sk": {"S": ENTRY_TIME + "#scan#0"}})},
    "empty-index-key": {"cursor": _cursor({"sk": {"S": "TXN#scan#0"}, "lsi1sk": {"S": ""}})},
    "number-value": {"cursor": _cursor({"sk": {"S": 7}, "lsi1sk": {"S": ENTRY_TIME + "#scan#0"}})},
    "null-value": {"cursor": _cursor({"sk": {"S": "TXN#scan#0"}, "lsi1sk": {"S": None}})},
    "list-value": {"cursor": _cursor({"sk": {"S": ["TXN#a"]}, "lsi1sk": {"S": ENTRY_TIME + "#a"}})},
    "numeric-type": {"cursor": _cursor({"sk": {"S": "TXN#scan#0"}, "lsi1sk": {"N": "NaN"}})},
    "bare-strings": {"cursor": _cursor({"sk": "TXN#scan#0", "lsi1sk": ENTRY_TIME + "#scan#0"})},
    "mixed-entries": {
        "cursor": _cursor({"sk": {"S": "TXN#scan#0"}, "lsi1sk": {"S": ENTRY_TIME + "#scan#9"}})
    },
    "not-a-time": {"cursor": _cursor({"sk": {"S": "TXN#scan#0"}, "lsi1sk": {"S": "zzz#scan#0"}})},
    "control-char": {"cursor": _cursor({"sk": {"S": "TXN#\u0000"}, "lsi1sk": {"S": ENTRY_TIME + "#\u0000"}})},
    "oversized": {"cursor": _cursor({"sk": {"S": "TXN#" + "x" * 300}, "lsi1sk": {"S": ENTRY_TIME + "#x"}})},
    "other-partition": {
        "cursor": _cursor(
            {"pk": {"S": "ACCT#victim"}, "sk": {"S": "TXN#scan#0"}, "lsi1sk": {"S": ENTRY_TIME + "#scan#0"}}
        )
    },
    "json-garbage": {"cursor": base64.urlsafe_b64encode(b'{"sk": ').decode()},
    "not-utf8": {"cursor": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()},
    "bad-padding": {"cursor": "eyJzayI6"},
    "empty": {"cursor": ""},
}


def test_bad_paging_input_is_a_422_problem(moto_cloud):
    seed(1)
    for name, query in BAD_QUERIES.items():
        answer = history(moto_cloud, query=query)
        assert answer.status == 422, (name, answer.body)
        assert_problem(answer, 422, "validation_error")


def test_a_well_formed_cursor_of_our_own_shape_pages_from_that_entry(moto_cloud):
    seed(3)
    cursor = _cursor({"sk": {"S": "TXN#scan#1"}, "lsi1sk": {"S": "2026-11-23T09:01:00.000Z#scan#1"}})
    answer = history(moto_cloud, query={"cursor": cursor})
    assert answer.status == 200
    assert [i["txn_id"] for i in answer.json["items"]] == ["scan#0"]


def test_without_a_token_it_is_401(moto_cloud):
    assert_problem(history(moto_cloud, user=None), 401, "unauthenticated")
