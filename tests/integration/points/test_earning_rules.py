"""Earning rules over HTTP: admins list and change them, every change is audited, concurrent edits
never lose one, and earners see a change within the cache interval, without a deploy."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE
from earnloop.points.earning_rules import DEFAULTS, RULE_TTL_S, RULES, earning_rule, rule_command
from earnloop.points.rule_store import audit_key, rule_key

from tests.support.lambdas import all_items, assert_problem, call_http, stored

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

ADMIN = "boss"


def put(moto_cloud: Any, rule: str, body: dict[str, Any], admin: str = ADMIN) -> Any:
    return call_http(
        "admin_earning_rules_put",
        token=moto_cloud.token(admin, "admin"),
        body=body,
        path_parameters={"rule": rule},
    )


def changes(moto_cloud: Any, rule: str, **query: str) -> Any:
    return call_http(
        "admin_earning_rules_changes",
        token=moto_cloud.token(ADMIN, "admin"),
        path_parameters={"rule": rule},
        query=query or None,
    )


def move_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, by: timedelta) -> None:
    """The local stage's platform clock, moved as `earnloop clock advance` does."""
    clock = tmp_path / "clock.json"
    clock.write_text(json.dumps({"offset_s": by.total_seconds()}))
    monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(clock))


def test_admins_list_the_defaults_of_every_rule(moto_cloud) -> None:
    answer = call_http("admin_earning_rules_list", token=moto_cloud.token(ADMIN, "admin"))
    assert answer.status == 200
    rules = answer.json["rules"]
    assert [r["name"] for r in rules] == list(RULES)
    by_name = {r["name"]: r for r in rules}
    assert by_name["scan"] | {} == {
        "name": "scan", "points": None, "daily_cap": None, "enabled": True,
        "version": 0, "updated_at": None, "updated_by": None,
    }  # fmt: skip
    assert (by_name["post"]["points"], by_name["post"]["daily_cap"]) == (10, 30)
    assert (by_name["referral"]["points"], by_name["referral"]["daily_cap"]) == (50, 500)
    assert_problem(call_http("admin_earning_rules_list", token=moto_cloud.token("u1")), 403, "forbidden")


def test_a_change_is_stored_with_its_audit_in_one_write(moto_cloud) -> None:
    table = moto_cloud.settings.table_name("points")
    answer = put(moto_cloud, "post", {"points": 15, "daily_cap": 45, "enabled": True})
    assert answer.status == 200, answer.body
    assert answer.json | {"updated_at": None} == {
        "name": "post", "points": 15, "daily_cap": 45, "enabled": True,
        "version": 1, "updated_at": None, "updated_by": ADMIN,
    }  # fmt: skip
    second = put(moto_cloud, "post", {"points": 15, "daily_cap": None, "enabled": False, "version": 1})
    assert second.status == 200 and second.json["version"] == 2

    listed = {
        r["name"]: r
        for r in call_http("admin_earning_rules_list", token=moto_cloud.token(ADMIN, "admin")).json["rules"]
    }
    assert listed["post"] | {"updated_at": None} == second.json | {"updated_at": None}
    assert stored(table, rule_key("post"))["version"] == 2  # type: ignore[index]

    page = changes(moto_cloud, "post")
    assert page.status == 200
    newest, oldest = page.json["items"]
    assert (oldest["version"], oldest["changed_by"]) == (1, ADMIN)
    assert oldest["before"] == {"points": 10, "daily_cap": 30, "enabled": True}
    assert oldest["after"] == {"points": 15, "daily_cap": 45, "enabled": True}
    assert newest["before"] == oldest["after"]
    assert newest["after"] == {"points": 15, "daily_cap": None, "enabled": False}
    assert newest["changed_at"] >= oldest["changed_at"]
    assert "next_cursor" not in page.json

    first_page = changes(moto_cloud, "post", limit="1")
    assert [c["version"] for c in first_page.json["items"]] == [2]
    rest = changes(moto_cloud, "post", limit="1", cursor=first_page.json["next_cursor"])
    assert [c["version"] for c in rest.json["items"]] == [1]
    assert_problem(changes(moto_cloud, "post", cursor="bm9wZQ"), 422, "validation_error")
    assert changes(moto_cloud, "checkin").json == {"items": []}


def test_two_admins_editing_the_same_version_do_not_lose_a_change(moto_cloud) -> None:
    table = moto_cloud.settings.table_name("points")
    # Both read version 0 and edit it; the second to write learns the rule moved on.
    first = put(moto_cloud, "comment", {"points": 3, "daily_cap": 30, "enabled": True, "version": 0})
    second = put(
        moto_cloud, "comment", {"points": 4, "daily_cap": 40, "enabled": True, "version": 0}, "boss2"
    )
    assert first.status == 200
    assert_problem(second, 409, "conflict")
    assert stored(table, rule_key("comment"))["points"] == 3  # type: ignore[index]
    assert stored(table, audit_key("comment", 2)) is None
    assert [c["changed_by"] for c in changes(moto_cloud, "comment").json["items"]] == [ADMIN]


def test_bad_changes_are_refused_and_write_nothing(moto_cloud) -> None:
    table = moto_cloud.settings.table_name("points")
    scan_points = put(moto_cloud, "scan", {"points": 5, "daily_cap": None, "enabled": True})
    assert_problem(scan_points, 422, "validation_error")
    assert_problem(
        put(moto_cloud, "post", {"points": None, "daily_cap": 5, "enabled": True}), 422, "validation_error"
    )
    assert_problem(
        put(moto_cloud, "post", {"points": 10, "daily_cap": 5, "enabled": True}), 422, "validation_error"
    )
    assert_problem(
        put(moto_cloud, "post", {"points": 0, "daily_cap": None, "enabled": True}), 422, "validation_error"
    )
    assert_problem(put(moto_cloud, "post", {"points": 10, "enabled": True}), 422, "validation_error")
    assert_problem(
        put(moto_cloud, "post", {"points": "10", "daily_cap": None, "enabled": True}), 422, "validation_error"
    )
    assert_problem(
        put(moto_cloud, "bogus", {"points": 1, "daily_cap": None, "enabled": True}), 422, "validation_error"
    )
    not_admin = call_http(
        "admin_earning_rules_put",
        token=moto_cloud.token("u2"),
        body={"points": 1, "daily_cap": None, "enabled": True},
        path_parameters={"rule": "post"},
    )
    assert_problem(not_admin, 403, "forbidden")
    # A token minted while the user was an admin, after a demotion: the write's check refuses it.
    stale_admin = moto_cloud.token("demoted", "admin", registered=False)
    moto_cloud.register("demoted")
    demoted = call_http(
        "admin_earning_rules_put",
        token=stale_admin,
        body={"points": 1, "daily_cap": None, "enabled": True},
        path_parameters={"rule": "post"},
    )
    assert_problem(demoted, 403, "forbidden")
    assert [i for i in all_items(table) if str(i["pk"]).startswith("RULE#")] == []
    # Scan may be capped or switched off; its points stay the batch's.
    assert put(moto_cloud, "scan", {"points": None, "daily_cap": 500, "enabled": True}).status == 200


def test_a_change_reaches_earners_within_the_cache_interval_without_a_deploy(
    moto_cloud, monkeypatch, tmp_path
) -> None:
    move_clock(monkeypatch, tmp_path, timedelta(0))
    assert earning_rule("like_given") == DEFAULTS["like_given"]  # now cached in this container
    assert put(moto_cloud, "like_given", {"points": 3, "daily_cap": 9, "enabled": True}).status == 200

    # Within the interval the container still earns by the rule it read...
    move_clock(monkeypatch, tmp_path, timedelta(seconds=RULE_TTL_S - 1))
    assert earning_rule("like_given").points == 1
    # ...and after it, by the new one.
    move_clock(monkeypatch, tmp_path, timedelta(seconds=RULE_TTL_S + 1))
    command = rule_command("like_given", txn_id="like_given#p#u", user_id="u", reason="like")
    assert command is not None
    assert (command.points, command.cap.limit if command.cap else None) == (3, 9)

    assert put(moto_cloud, "like_given", {"points": 3, "daily_cap": 9, "enabled": False}).status == 200
    move_clock(monkeypatch, tmp_path, timedelta(seconds=2 * RULE_TTL_S + 2))
    assert rule_command("like_given", txn_id="like_given#p#u", user_id="u", reason="like") is None
