"""Journey step 5 on the local cloud over HTTP: earn by scanning, redeem in the mall, see the order
and the spend, get rejected by an admin and refunded."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.harness import assert_problem, history_of, points_of, scan

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers, User

pytestmark = pytest.mark.e2e


def test_a_buyer_redeems_scanned_points_and_a_rejection_refunds_them(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User, batch: Batch
) -> None:
    li = buyers.login()
    for code in batch.codes[:2]:
        assert scan(api, li, code).status_code == 202
    cloud.pump_until_idle()
    assert points_of(api, li)["balance"] == 2 * batch.points

    created = api.post(
        "/v1/admin/rewards",
        headers=admin.headers,
        json={
            "name": "Trial pack",
            "kind": "virtual",
            "points": 70,
            "stock": 3,
            "review": True,
            "tags": ["yogurt"],
        },
    )
    assert created.status_code == 201, created.text
    reward_id = created.json()["reward_id"]
    listed = api.get("/v1/rewards", headers=li.headers).json()["items"]
    assert reward_id in [r["reward_id"] for r in listed]

    body = {"reward_id": reward_id, "quantity": 1}
    headers = {**li.headers, "Idempotency-Key": f"journey-{li.id}"}
    redeemed = api.post("/v1/redemptions", headers=headers, json=body)
    assert redeemed.status_code == 201, redeemed.text
    order = redeemed.json()
    assert (order["status"], order["points"]) == ("pending_review", 70)
    assert api.post("/v1/redemptions", headers=headers, json=body).json() == order
    assert_problem(api.post("/v1/redemptions", headers=li.headers, json=body), 422, "validation_error")

    assert [o["order_id"] for o in api.get("/v1/redemptions", headers=li.headers).json()["items"]] == [
        order["order_id"]
    ]
    assert (
        api.get(f"/v1/redemptions/{order['order_id']}", headers=li.headers).json()["status"]
        == "pending_review"
    )
    stranger = buyers.login()
    assert_problem(
        api.get(f"/v1/redemptions/{order['order_id']}", headers=stranger.headers), 404, "not_found"
    )
    assert points_of(api, li)["balance"] == 2 * batch.points - 70
    spend = history_of(api, li)[0]
    assert (spend["type"], spend["delta"], spend["txn_id"]) == ("spend", -70, f"redeem#journey-{li.id}")

    waiting = api.get("/v1/admin/redemptions?status=pending_review", headers=admin.headers).json()["items"]
    assert order["order_id"] in [o["order_id"] for o in waiting]
    rejected = api.post(f"/v1/admin/redemptions/{order['order_id']}/reject", headers=admin.headers)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "cancelled"

    assert points_of(api, li)["balance"] == 2 * batch.points
    refund = history_of(api, li)[0]
    assert (refund["type"], refund["delta"], refund["txn_id"]) == (
        "refund",
        70,
        f"refund#{order['order_id']}",
    )
    assert api.get(f"/v1/rewards/{reward_id}", headers=li.headers).json()["stock_left"] == 3
    assert api.get(f"/v1/redemptions/{order['order_id']}", headers=li.headers).json()["status"] == "cancelled"
    # The stream publisher took every order change (placed, cancelled) without a failure.
    cloud.pump_until_idle()
