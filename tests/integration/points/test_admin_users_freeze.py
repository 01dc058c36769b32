"""POST /v1/admin/users/{user_id}/freeze and .../unfreeze on their sample events under moto."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, account_key

from tests.integration.points.points_harness import admin_call
from tests.support.lambdas import assert_problem, stored

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_an_admin_freezes_an_account_with_a_ledger_entry(moto_cloud):
    moto_cloud.register("u1")
    Ledger.default().earn(EarnCommand(txn_id="scan#a", user_id="u1", points=50, reason="scan"), NOW)

    answer = admin_call("admin_users_freeze", moto_cloud.token("boss", "admin"))

    assert answer.status == 200
    body = answer.json
    assert body["user_id"] == "u1" and body["status"] == "frozen" and body["balance"] == 50
    assert body["txn_id"].startswith("freeze#")
    account = stored(moto_cloud.settings.table_name("points"), account_key("u1"))
    assert (account["status"], account["balance"], account["version"]) == ("frozen", 50, 2)
    entry = {e.txn_id: e for e in PointsStore.default().entries("u1")}[body["txn_id"]]
    assert (entry.entry_type, entry.delta, entry.balance_after) == ("freeze", 0, 50)
    assert (entry.reason, entry.actor) == ("suspected code farming", "admin:boss")


def test_freezing_a_user_without_an_account_yet_creates_a_frozen_empty_account(moto_cloud):
    moto_cloud.register("u-new")
    answer = admin_call("admin_users_freeze", moto_cloud.token("boss", "admin"), user_id="u-new")
    assert (answer.status, answer.json["status"], answer.json["balance"]) == (200, "frozen", 0)
    assert stored(moto_cloud.settings.table_name("points"), account_key("u-new"))["entity"] == "Account"


@pytest.mark.parametrize("name", ["admin_users_freeze", "admin_users_unfreeze"])
def test_a_user_that_does_not_exist_is_404_and_no_account_is_created(moto_cloud, name):
    answer = admin_call(name, moto_cloud.token("boss", "admin"), user_id="u-nobody")
    assert_problem(answer, 404, "not_found")
    assert stored(moto_cloud.settings.table_name("points"), account_key("u-nobody")) is None
    assert PointsStore.default().entries("u-nobody") == []


@pytest.mark.parametrize("name", ["admin_users_freeze", "admin_users_unfreeze"])
def test_an_admin_whose_user_was_deleted_or_demoted_writes_nothing(moto_cloud, name):
    moto_cloud.register("u1")
    Ledger.default().freeze("u1", "before", "admin:boss", NOW)  # so an unfreeze would change it
    before = PointsStore.default().entries("u1")
    deleted = moto_cloud.token("ghost", "admin", registered=False)
    assert_problem(admin_call(name, deleted), 401, "unauthenticated")
    moto_cloud.register("demoted")  # exists, but without the admin role its old token still claims
    demoted = moto_cloud.token("demoted", "admin", registered=False)
    assert_problem(admin_call(name, demoted), 403, "forbidden")
    assert PointsStore.default().entries("u1") == before


def test_an_admin_may_freeze_their_own_account(moto_cloud):
    answer = admin_call("admin_users_freeze", moto_cloud.token("boss", "admin"), user_id="boss")
    assert (answer.status, answer.json["status"]) == (200, "frozen")


def test_freezing_twice_is_harmless_and_writes_one_entry(moto_cloud):
    moto_cloud.register("u1")
    admin = moto_cloud.token("boss", "admin")
    admin_call("admin_users_freeze", admin)
    answer = admin_call("admin_users_freeze", admin)
    assert (answer.status, answer.json) == (200, {"user_id": "u1", "status": "frozen", "balance": 0})
    assert [e.entry_type for e in PointsStore.default().entries("u1")] == ["freeze"]


@pytest.mark.parametrize("name", ["admin_users_freeze", "admin_users_unfreeze"])
def test_a_non_admin_gets_403_and_nobody_without_a_token_gets_in(moto_cloud, name):
    assert_problem(admin_call(name, moto_cloud.token("u1")), 403, "forbidden")
    assert_problem(admin_call(name, None), 401, "unauthenticated")
    assert PointsStore.default().entries("u1") == []


BAD_INPUT = {
    "no-reason": ("u1", {}),
    "empty-reason": ("u1", {"reason": ""}),
    "number-reason": ("u1", {"reason": 12}),
    "extra-field": ("u1", {"reason": "ok", "extra": 1}),
    "not-json": ("u1", "not json"),
    "key-injection": ("ACCT#u1", {"reason": "ok"}),
    "too-long-id": ("x" * 65, {"reason": "ok"}),
}


def test_bad_freeze_input_is_a_422_problem(moto_cloud):
    admin = moto_cloud.token("boss", "admin")
    for name, (user_id, body) in BAD_INPUT.items():
        answer = admin_call("admin_users_freeze", admin, user_id, body)
        assert answer.status == 422, (name, answer.body)
        assert_problem(answer, 422, "validation_error")
    assert PointsStore.default().entries("u1") == []
