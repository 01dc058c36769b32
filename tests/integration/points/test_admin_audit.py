"""Audited admin actions under moto: adjustments (Idempotency-Key), the audit record written with
freeze, unfreeze and adjustments, its event, and `GET /v1/admin/audit`."""

from __future__ import annotations

from datetime import UTC, datetime

from earnloop.local.samples import http_event
from earnloop.platform.events import Change
from earnloop.points.events import derive
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, account_key

from tests.support.lambdas import (
    HttpAnswer,
    all_items,
    assert_problem,
    call_http,
    http_answer,
    invoke,
    stored,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = "01JDX6Y0S4V8K2M3N5P7Q9R1T3"


def adjust(token: str | None, body: dict, key: str | None = KEY, user_id: str = "u1") -> HttpAnswer:
    """The adjustment route on its sample; `key` None: without the Idempotency-Key header."""
    event = http_event(
        "apigw/admin_users_adjust.json", token=token, body=body, path_parameters={"user_id": user_id}
    )
    event["headers"].pop("idempotency-key")
    if key is not None:
        event["headers"]["idempotency-key"] = key
    return http_answer(invoke("admin_users_adjust", event))


def audit_items(table: str) -> list[dict]:
    return [i for i in all_items(table) if i.get("entity") == "AdminAction"]


def test_an_adjustment_is_a_ledger_entry_with_its_audit_record_and_a_repeat_answers_the_same(moto_cloud):
    moto_cloud.register("u1")
    Ledger.default().earn(EarnCommand(txn_id="scan#a", user_id="u1", points=50, reason="scan"), NOW)
    admin = moto_cloud.token("boss", "admin")

    first = adjust(admin, {"delta": -20, "reason": "farmed codes"})
    again = adjust(admin, {"delta": -20, "reason": "farmed codes"})

    assert first.status == 201 and again.status == 200 and again.json == first.json
    assert first.json["txn_id"] == f"adjust#{KEY}"
    assert (first.json["delta"], first.json["balance_after"]) == (-20, 30)
    table = moto_cloud.settings.table_name("points")
    assert stored(table, account_key("u1"))["balance"] == 30
    [entry] = [e for e in PointsStore.default().entries("u1") if e.entry_type == "adjust"]
    assert (entry.actor, entry.reason) == ("admin:boss", "farmed codes")
    [record] = audit_items(table)
    assert (record["actor"], record["action"], record["target"], record["reason"]) == (
        "admin:boss",
        "adjust",
        "u1",
        "farmed codes",
    )
    assert (record["before"]["balance"], record["after"]["balance"]) == (50, 30)
    assert record["reference"] == f"adjust#{KEY}"
    [event] = derive(Change(table=table, kind="INSERT", old=None, new=record))
    assert event.detail_type == "AdminActionRecorded" and event.actor == "admin:boss"


def test_the_same_key_with_another_body_is_409_and_writes_nothing(moto_cloud):
    moto_cloud.register("u1")
    admin = moto_cloud.token("boss", "admin")
    assert adjust(admin, {"delta": 10, "reason": "goodwill"}).status == 201
    assert_problem(adjust(admin, {"delta": 11, "reason": "goodwill"}), 409, "idempotency_conflict")
    assert_problem(adjust(admin, {"delta": 10, "reason": "other"}), 409, "idempotency_conflict")
    assert stored(moto_cloud.settings.table_name("points"), account_key("u1"))["balance"] == 10
    assert len(audit_items(moto_cloud.settings.table_name("points"))) == 1


def test_a_debit_beyond_the_balance_is_409_and_a_frozen_account_can_be_adjusted(moto_cloud):
    moto_cloud.register("u1")
    Ledger.default().earn(EarnCommand(txn_id="scan#a", user_id="u1", points=5, reason="scan"), NOW)
    Ledger.default().freeze("u1", "farming", "admin:boss", NOW)
    admin = moto_cloud.token("boss", "admin")
    assert_problem(adjust(admin, {"delta": -6, "reason": "too much"}), 409, "insufficient_points")
    answer = adjust(admin, {"delta": -5, "reason": "all of it"}, key="key-all-of-it")
    assert (answer.status, answer.json["balance_after"]) == (201, 0)
    account = stored(moto_cloud.settings.table_name("points"), account_key("u1"))
    assert (account["balance"], account["status"]) == (0, "frozen")


BAD_ADJUSTMENTS = [
    ({"delta": 0, "reason": "x"}, KEY),
    ({"delta": 100_001, "reason": "x"}, KEY),
    ({"delta": -100_001, "reason": "x"}, KEY),
    ({"delta": "5", "reason": "x"}, KEY),
    ({"delta": 5.5, "reason": "x"}, KEY),
    ({"delta": True, "reason": "x"}, KEY),
    ({"delta": 5, "reason": ""}, KEY),
    ({"delta": 5, "reason": "x" * 201}, KEY),
    ({"delta": 5}, KEY),
    ({"delta": 5, "reason": "x", "actor": "ops:me"}, KEY),
    ({"delta": 5, "reason": "x"}, None),
    ({"delta": 5, "reason": "x"}, "short"),
    ({"delta": 5, "reason": "x"}, "bad key with spaces"),
]


def test_bad_adjustments_are_422_and_write_nothing(moto_cloud):
    # One cloud for every case: each is refused before anything is read or written.
    moto_cloud.register("u1")
    admin = moto_cloud.token("boss", "admin")
    for body, key in BAD_ADJUSTMENTS:
        assert_problem(adjust(admin, body, key), 422, "validation_error")
    assert PointsStore.default().entries("u1") == []
    assert audit_items(moto_cloud.settings.table_name("points")) == []


def test_adjustments_need_a_live_admin_and_an_existing_user(moto_cloud):
    moto_cloud.register("u1")
    body = {"delta": 5, "reason": "x"}
    assert_problem(adjust(moto_cloud.token("u1"), body), 403, "forbidden")
    assert_problem(adjust(None, body), 401, "unauthenticated")
    assert_problem(adjust(moto_cloud.token("ghost", "admin", registered=False), body), 401, "unauthenticated")
    assert_problem(adjust(moto_cloud.token("boss", "admin"), body, user_id="u-nobody"), 404, "not_found")
    assert audit_items(moto_cloud.settings.table_name("points")) == []


def test_freeze_and_unfreeze_are_audited_and_listed_newest_first_with_filters(moto_cloud):
    moto_cloud.register("u1")
    moto_cloud.register("u2")
    boss, chief = moto_cloud.token("boss", "admin"), moto_cloud.token("chief", "admin")
    path = {"user_id": "u1"}
    call_http("admin_users_freeze", token=boss, body={"reason": "farming"}, path_parameters=path)
    call_http("admin_users_freeze", token=boss, body={"reason": "farming"}, path_parameters=path)  # no-op
    call_http("admin_users_unfreeze", token=chief, body={"reason": "cleared"}, path_parameters=path)
    adjust(chief, {"delta": 7, "reason": "sorry"}, user_id="u2")

    listed = call_http("admin_audit_list", token=boss, query={})
    assert listed.status == 200
    items = listed.json["items"]
    assert [(i["action"], i["target"], i["actor"]) for i in items] == [
        ("adjust", "u2", "admin:chief"),
        ("unfreeze", "u1", "admin:chief"),
        ("freeze", "u1", "admin:boss"),
    ]
    assert (items[2]["before"], items[2]["after"]) == (
        {"status": "active", "balance": 0},
        {"status": "frozen", "balance": 0},
    )
    by_target = call_http("admin_audit_list", token=boss, query={"target": "u1", "actor": "admin:chief"})
    assert [i["action"] for i in by_target.json["items"]] == ["unfreeze"]

    first = call_http("admin_audit_list", token=boss, query={"limit": "2"}).json
    rest = call_http(
        "admin_audit_list", token=boss, query={"limit": "2", "cursor": first["next_cursor"]}
    ).json
    assert "items" in rest, rest
    assert [i["audit_id"] for i in first["items"] + rest["items"]] == [i["audit_id"] for i in items]
    assert "next_cursor" not in rest


def test_bad_audit_queries_are_422_and_users_are_403(moto_cloud):
    admin = moto_cloud.token("boss", "admin")
    for query in (
        {"from": "2026-12-02", "to": "2026-11-01"},
        {"from": "2026-01-01", "to": "2026-12-01"},
        {"from": "yesterday"},
        {"cursor": "nope"},
        {"cursor": "2026-11-23.eyJ4IjoxfQ"},
        {"cursor": "2026-11-23.2026-11-23T09:00:00.000Z#01JDX6Y0S4V8K2M3N5P7Q9R1T"},
        {"limit": "101"},
    ):
        assert_problem(call_http("admin_audit_list", token=admin, query=query), 422, "validation_error")
    assert_problem(call_http("admin_audit_list", token=moto_cloud.token("u1"), query={}), 403, "forbidden")


def test_every_contexts_admin_actions_are_listed_newest_first_and_none_can_be_edited(moto_cloud):
    """One admin action in each context, each committed with its record in its own table; the
    listing merges the five tables by time."""
    from earnloop.contexts import routers
    from earnloop.identity.admin_roles import change_admin_role
    from earnloop.platform import aws
    from earnloop.platform.app import api_routes
    from earnloop.platform.clock import utcnow

    from tests.integration.content.posts_harness import Posts

    moto_cloud.register("u1")
    boss = moto_cloud.token("boss", "admin")
    Ledger.default().earn(EarnCommand(txn_id="scan#a", user_id="u1", points=30, reason="scan"), NOW)
    batch = {"sku": "YOG-1", "product_name": "Yogurt", "points": 50, "count": 10, "tags": []}
    created = call_http("code_batches_create", token=boss, body=batch)
    reward = {"name": "Trial pack", "kind": "virtual", "points": 100, "stock": 5}
    assert call_http("rewards_create", token=boss, body=reward).status == 201
    rule = {"points": 3, "daily_cap": 10, "enabled": True}
    assert (
        call_http(
            "admin_earning_rules_put", token=boss, body=rule, path_parameters={"rule": "comment"}
        ).status
        == 200
    )
    post = Posts(moto_cloud).create("u1", text="demo-review caption").json["post_id"]
    posts = {"post_id": post}
    assert call_http("admin_posts_reject", token=boss, path_parameters=posts, body={}).status == 200
    sanction = {"reason": "farmed codes"}
    path = {"user_id": "u1"}
    assert call_http("admin_users_sanction", token=boss, body=sanction, path_parameters=path).status == 200
    identity = moto_cloud.settings.table_name("identity")
    change_admin_role(
        aws.dynamodb(), identity, "u1", "grant", operator="ops-li", reason="helps", now=utcnow()
    )

    items = call_http("admin_audit_list", token=boss, query={}).json["items"]

    assert [(i["context"], i["action"]) for i in items] == [
        ("identity", "grant_admin"),
        ("points", "sanction"),
        ("content", "post.reject"),
        ("points", "earning_rule.change"),
        ("mall", "reward.create"),
        ("codes", "code_batch.create"),
    ]
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    assert {i["actor"] for i in items} == {"admin:boss", "ops:ops-li"}
    assert items[-1]["target"] == created.json["batch_id"]
    assert (items[1]["before"]["balance"], items[1]["after"]["balance"]) == (30, 0)
    assert items[1]["after"]["barred_until"] > items[1]["at"] and items[1]["reason"] == "farmed codes"
    assert (items[3]["target"], items[3]["reference"]) == ("comment", "comment#1")
    assert (items[2]["before"], items[2]["after"]) == ({"status": "in_review"}, {"status": "rejected"})
    by_context = call_http("admin_audit_list", token=boss, query={"target": post}).json["items"]
    assert [i["action"] for i in by_context] == ["post.reject"]
    # The API only lists them: no route but this GET reaches an audit record.
    audit_routes = {(m, r.path) for r in api_routes(routers()) for m in r.methods if "audit" in r.path}
    assert audit_routes == {("GET", "/v1/admin/audit")}


def test_every_context_that_writes_audit_records_is_listed_and_may_be_read():
    """A context whose code imports platform.audit writes `AUDIT#` records into its own table: the
    listing merges that table, and its function may Query (only) those partitions."""
    from pathlib import Path

    from earnloop.contexts import CONTEXTS, all_functions
    from earnloop.platform.audit import PREFIX
    from earnloop.points.admin_api import AUDITED_TABLES

    library = Path(__file__).resolve().parents[3] / "layers" / "earnloop" / "python" / "earnloop"

    def imports_audit(package: str) -> bool:
        return any(
            "earnloop.platform.audit import" in p.read_text() for p in (library / package).rglob("*.py")
        )

    writers = {c.table.name for c in CONTEXTS if c.table is not None and imports_audit(c.name)}
    [listing] = [spec for spec in all_functions() if spec.name == "admin_audit_list"]
    readable = {g.name for g in listing.grants if g.kind == "table" and PREFIX in g.prefixes}
    assert {"points", "identity", "codes", "mall", "content"} <= writers
    assert writers <= set(AUDITED_TABLES) == readable


def _frozen_with_held_earns(moto_cloud) -> Ledger:
    moto_cloud.register("u1")
    ledger = Ledger.default()
    ledger.earn(EarnCommand(txn_id="scan#a", user_id="u1", points=50, reason="scan"), NOW)
    ledger.freeze("u1", "suspected code farming", "admin:boss", NOW)
    for txn_id in ("scan#b", "scan#c"):
        outcome = ledger.credit(EarnCommand(txn_id=txn_id, user_id="u1", points=30, reason="scan"), NOW)
        assert outcome.status == "held"
    return ledger


def test_an_unfreeze_may_forfeit_the_held_earns_listing_them_in_its_audit_record(moto_cloud):
    ledger = _frozen_with_held_earns(moto_cloud)
    admin = moto_cloud.token("boss", "admin")
    body = {"reason": "the held scans were farmed", "held": "forfeit"}

    answer = http_answer(
        invoke(
            "admin_users_unfreeze",
            http_event(
                "apigw/admin_users_unfreeze.json", token=admin, body=body, path_parameters={"user_id": "u1"}
            ),
        )
    )

    assert answer.status == 200 and (answer.json["status"], answer.json["balance"]) == ("active", 50)
    assert PointsStore.default().holds("u1") == []
    # The unfreeze's event finds nothing left to credit.
    assert ledger.release_holds("u1", NOW) == []
    assert ledger.account("u1").balance == 50
    [record] = [r for r in audit_items(moto_cloud.settings.table_name("points")) if r["action"] == "unfreeze"]
    assert record["after"]["held"] == "forfeit"
    assert sorted(f["txn_id"] for f in record["after"]["forfeited"]) == ["scan#b", "scan#c"]
    assert record["reason"] == "the held scans were farmed"


def test_an_unfreeze_releases_the_held_earns_by_default_and_refuses_an_unknown_choice(moto_cloud):
    ledger = _frozen_with_held_earns(moto_cloud)
    admin = moto_cloud.token("boss", "admin")

    def unfreeze(body: dict) -> HttpAnswer:
        event = http_event(
            "apigw/admin_users_unfreeze.json", token=admin, body=body, path_parameters={"user_id": "u1"}
        )
        return http_answer(invoke("admin_users_unfreeze", event))

    assert_problem(unfreeze({"held": "keep"}), 422, "validation_error")
    assert ledger.account("u1").status == "frozen"
    assert unfreeze({}).status == 200
    assert len(PointsStore.default().holds("u1")) == 2  # credited by the worker on the unfreeze event
    assert [o.status for o in ledger.release_holds("u1", NOW)] == ["applied", "applied"]
    assert ledger.account("u1").balance == 110
