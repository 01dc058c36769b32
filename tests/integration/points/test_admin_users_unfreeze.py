"""POST /v1/admin/users/{user_id}/unfreeze on its sample event under moto (the release of held earns
is in test_points_earn.py)."""

from __future__ import annotations

from earnloop.local.samples import http_event
from earnloop.points.store import PointsStore, account_key

from tests.integration.points.points_harness import admin_call, http_call, stored


def test_an_admin_unfreezes_with_or_without_a_reason(moto_cloud, lambda_context):
    admin = moto_cloud.auth("boss", "admin")
    admin_call("admin_users_freeze", lambda_context, admin)
    status, _, body = admin_call("admin_users_unfreeze", lambda_context, admin)
    assert (status, body["status"]) == (200, "active") and body["txn_id"].startswith("unfreeze#")
    assert stored(moto_cloud.settings.points_table, account_key("u1"))["status"] == "active"

    admin_call("admin_users_freeze", lambda_context, admin)
    event = http_event(
        "apigw/admin_users_unfreeze.json",
        token=moto_cloud.token("boss", "admin"),
        path_parameters={"user_id": "u1"},
    )
    event.pop("body")
    status, _, body = http_call("admin_users_unfreeze", event, lambda_context)
    assert (status, body["status"]) == (200, "active")
    reasons = [
        (e.entry_type, e.reason)
        for e in sorted(PointsStore.default().entries("u1"), key=lambda e: e.created_at)
    ]
    assert ("unfreeze", "cleared after review") in reasons and ("unfreeze", "unfrozen by admin") in reasons


def test_unfreezing_an_active_account_changes_nothing(moto_cloud, lambda_context):
    status, _, body = admin_call("admin_users_unfreeze", lambda_context, moto_cloud.auth("boss", "admin"))
    assert (status, body) == (200, {"user_id": "u1", "status": "active", "balance": 0})
    assert PointsStore.default().entries("u1") == []
