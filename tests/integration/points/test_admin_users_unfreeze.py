"""POST /v1/admin/users/{user_id}/unfreeze on its sample event under moto (the release of held earns
is in test_points_earn.py)."""

from __future__ import annotations

from earnloop.local.samples import http_event
from earnloop.points.store import PointsStore, account_key

from tests.integration.points.points_harness import admin_call
from tests.support.lambdas import http_answer, invoke, stored


def test_an_admin_unfreezes_with_or_without_a_reason(moto_cloud):
    moto_cloud.register("u1")
    admin = moto_cloud.token("boss", "admin")
    admin_call("admin_users_freeze", admin)
    answer = admin_call("admin_users_unfreeze", admin)
    assert (answer.status, answer.json["status"]) == (200, "active")
    assert answer.json["txn_id"].startswith("unfreeze#")
    assert stored(moto_cloud.settings.table_name("points"), account_key("u1"))["status"] == "active"

    admin_call("admin_users_freeze", admin)
    event = http_event("apigw/admin_users_unfreeze.json", token=admin, path_parameters={"user_id": "u1"})
    event.pop("body")
    answer = http_answer(invoke("admin_users_unfreeze", event))
    assert (answer.status, answer.json["status"]) == (200, "active")
    reasons = [
        (e.entry_type, e.reason)
        for e in sorted(PointsStore.default().entries("u1"), key=lambda e: e.created_at)
    ]
    assert ("unfreeze", "cleared after review") in reasons and ("unfreeze", "unfrozen by admin") in reasons


def test_unfreezing_an_active_account_changes_nothing(moto_cloud):
    moto_cloud.register("u1")  # a user without an account yet: nothing to unfreeze, and no 404
    answer = admin_call("admin_users_unfreeze", moto_cloud.token("boss", "admin"))
    assert (answer.status, answer.json) == (200, {"user_id": "u1", "status": "active", "balance": 0})
    assert PointsStore.default().entries("u1") == []
