"""`earnloop admin grant|revoke`: the admin role given and taken by an operator, audited in the same
transaction; a token minted before a revoke stops working for admin commands at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from earnloop.identity.admin_roles import change_admin_role
from earnloop.identity.events import derive
from earnloop.identity.store import user_key
from earnloop.local.cli import parser
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.errors import NotFoundError, ValidationFailedError
from earnloop.platform.events import Change

from tests.support.lambdas import all_items, assert_problem, call_http, stored

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_an_operator_grants_and_revokes_admin_with_audit_records(moto_cloud):
    moto_cloud.register("u1")
    table = moto_cloud.settings.table_name("identity")
    ddb = aws.dynamodb()
    token = moto_cloud.token("u1", "admin", registered=False)  # claims admin before it is granted
    freeze = {"body": {"reason": "test"}, "path_parameters": {"user_id": "u1"}}
    assert_problem(call_http("admin_users_freeze", token=token, **freeze), 403, "forbidden")

    assert change_admin_role(
        ddb, table, "u1", "grant", operator="ops-li", reason="new moderator", now=utcnow()
    )
    assert not change_admin_role(ddb, table, "u1", "grant", operator="ops-li", reason="again", now=utcnow())
    assert stored(table, user_key("u1"))["roles"] == ["admin"]
    assert call_http("admin_users_freeze", token=token, **freeze).status == 200

    assert change_admin_role(ddb, table, "u1", "revoke", operator="ops-wang", reason="left", now=utcnow())
    assert stored(table, user_key("u1"))["roles"] == []
    assert_problem(
        call_http("admin_users_unfreeze", token=token, path_parameters={"user_id": "u1"}), 403, "forbidden"
    )

    records = sorted((i for i in all_items(table) if i.get("entity") == "AdminAction"), key=lambda i: i["sk"])
    assert [(r["actor"], r["action"], r["target"], r["before"], r["after"]) for r in records] == [
        ("ops:ops-li", "grant_admin", "u1", {"roles": []}, {"roles": ["admin"]}),
        ("ops:ops-wang", "revoke_admin", "u1", {"roles": ["admin"]}, {"roles": []}),
    ]
    listed = call_http("admin_audit_list", token=moto_cloud.token("boss", "admin"), query={"target": "u1"})
    assert [(i["context"], i["action"]) for i in listed.json["items"]] == [
        ("identity", "revoke_admin"),
        ("points", "freeze"),
        ("identity", "grant_admin"),
    ]
    [event] = derive(Change(table=table, kind="INSERT", old=None, new=records[0]))
    assert (event.detail_type, event.reason) == ("AdminActionRecorded", "new moderator")


def test_no_such_user_or_no_reason_changes_nothing(moto_cloud):
    table = moto_cloud.settings.table_name("identity")
    with pytest.raises(NotFoundError):
        change_admin_role(aws.dynamodb(), table, "nobody", "grant", operator="ops", reason="x", now=NOW)
    moto_cloud.register("u2")
    with pytest.raises(ValidationFailedError):
        change_admin_role(aws.dynamodb(), table, "u2", "grant", operator="ops", reason=" ", now=NOW)
    assert stored(table, user_key("u2"))["roles"] == []


def test_the_command_line_takes_a_reason_and_a_stage():
    args = parser().parse_args(["admin", "grant", "u1", "--reason", "on call", "--stage", "prod"])
    assert (args.change, args.user_id, args.reason, args.stage, args.operator) == (
        "grant",
        "u1",
        "on call",
        "prod",
        None,
    )
    with pytest.raises(SystemExit):
        parser().parse_args(["admin", "grant", "u1"])  # no reason
