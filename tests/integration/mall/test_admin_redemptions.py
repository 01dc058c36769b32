"""The review of orders: the admin list, approve, and reject with its exactly-once refund."""

from __future__ import annotations

from earnloop.mall.store import limit_key, order_key
from earnloop.points.store import PointsStore, entry_key

from tests.integration.mall.mall_harness import ADMIN, create_reward, fund, redeem
from tests.support.lambdas import all_items, assert_problem, call_http, stored


def _admin(cloud, name: str, order_id: str, body: object = None):
    token = cloud.token(ADMIN, "admin")
    return call_http(name, token=token, body=body, path_parameters={"order_id": order_id})


def _audit(cloud, action: str | None = None) -> list[dict]:
    """The mall table's audit records (of `action`)."""
    records = [i for i in all_items(cloud.settings.table_name("mall")) if i.get("entity") == "AdminAction"]
    return [r for r in records if action in (None, r["action"])]


def _reviewed_order(cloud, user_id: str = "li", **fields: object) -> tuple[dict, dict]:
    reward = create_reward(cloud, points=100, stock=3, review=True, per_user_limit=1, **fields)
    fund(user_id, 60, 80)
    answer = redeem(cloud, user_id, reward["reward_id"], "key-review-01")
    assert answer.status == 201, answer.body
    assert answer.json["status"] == "pending_review"
    return reward, answer.json


def _stock_left(cloud, reward_id: str) -> int:
    answer = call_http("rewards_get", token=cloud.token("viewer"), path_parameters={"reward_id": reward_id})
    return int(answer.json["stock_left"])


def test_a_reviewed_order_waits_in_the_admin_list_until_approved(moto_cloud):
    _, order = _reviewed_order(moto_cloud)
    listed = call_http("admin_redemptions_list", token=moto_cloud.token(ADMIN, "admin"))
    assert listed.status == 200, listed.body
    [waiting] = listed.json["items"]
    assert (waiting["order_id"], waiting["user_id"], waiting["status"]) == (
        order["order_id"],
        "li",
        "pending_review",
    )

    approved = _admin(moto_cloud, "admin_redemptions_approve", order["order_id"])
    assert approved.status == 200, approved.body
    assert approved.json["status"] == "fulfilled"
    # Approving again changes nothing; the list is empty; a buyer's token is refused.
    assert _admin(moto_cloud, "admin_redemptions_approve", order["order_id"]).json["status"] == "fulfilled"
    assert call_http("admin_redemptions_list", token=moto_cloud.token(ADMIN, "admin")).json["items"] == []
    path = {"order_id": order["order_id"]}
    refused = call_http("admin_redemptions_approve", token=moto_cloud.token("li"), path_parameters=path)
    assert_problem(refused, 403, "forbidden")
    assert_problem(call_http("admin_redemptions_list", token=moto_cloud.token("li")), 403, "forbidden")
    # One record: the repeat and the buyer's attempt changed nothing.
    [record] = _audit(moto_cloud, "redemption.approve")
    assert (record["actor"], record["target"], record["reason"], record["context"]) == (
        "admin:admin1",
        order["order_id"],
        "approved",
        "mall",
    )
    assert (record["before"], record["after"]) == ({"status": "pending_review"}, {"status": "fulfilled"})


def test_reject_refunds_the_points_into_their_original_buckets_and_returns_stock_and_limit_once(moto_cloud):
    reward, order = _reviewed_order(moto_cloud)
    store = PointsStore.default()
    before = store.account("li")
    assert before.balance == 40

    rejected = _admin(
        moto_cloud, "admin_redemptions_reject", order["order_id"], {"reason": "address unreachable"}
    )
    assert rejected.status == 200, rejected.body
    assert (rejected.json["status"], rejected.json["status_reason"]) == ("cancelled", "address unreachable")

    after = store.account("li")
    assert after.balance == 140
    assert {d.isoformat(): p for d, p in after.buckets.items()} == {"2027-01-31": 60, "2027-03-31": 80}
    refund = stored(moto_cloud.settings.table_name("points"), entry_key("li", f"refund#{order['order_id']}"))
    assert refund is not None
    assert (refund["entry_type"], refund["delta"], refund["balance_after"]) == ("refund", 100, 140)
    assert refund["buckets"] == {"2027-01-31": 60, "2027-03-31": 40}
    assert after.next_expiry is not None and after.next_expiry.isoformat() == "2027-01-31"
    assert _stock_left(moto_cloud, reward["reward_id"]) == 3
    counter = stored(moto_cloud.settings.table_name("mall"), limit_key("li", reward["reward_id"], "all"))
    assert counter is not None and counter["n"] == 0

    # Again: the same cancelled order, no second refund.
    assert _admin(moto_cloud, "admin_redemptions_reject", order["order_id"]).json["status"] == "cancelled"
    assert store.account("li").balance == 140
    assert [e.entry_type for e in store.entries("li")].count("refund") == 1
    assert _stock_left(moto_cloud, reward["reward_id"]) == 3
    # An approval of a cancelled order is refused; the buyer's limit is free again.
    assert_problem(_admin(moto_cloud, "admin_redemptions_approve", order["order_id"]), 409, "invalid_state")
    assert redeem(moto_cloud, "li", reward["reward_id"], "key-review-02").status == 201
    [record] = _audit(moto_cloud, "redemption.reject")
    assert (record["reason"], record["reference"]) == ("address unreachable", f"refund#{order['order_id']}")
    assert (record["before"], record["after"]) == (
        {"status": "pending_review"},
        {"status": "cancelled", "points_refunded": 100},
    )
    assert _audit(moto_cloud, "redemption.approve") == []


def test_a_fulfilled_order_cannot_be_rejected_and_an_unknown_order_is_404(moto_cloud):
    _, order = _reviewed_order(moto_cloud)
    assert _admin(moto_cloud, "admin_redemptions_approve", order["order_id"]).status == 200
    assert_problem(_admin(moto_cloud, "admin_redemptions_reject", order["order_id"]), 409, "invalid_state")
    assert PointsStore.default().account("li").balance == 40
    unknown = "01JDQZ8Y0000000000000000ZZ"
    assert_problem(_admin(moto_cloud, "admin_redemptions_reject", unknown), 404, "not_found")
    assert_problem(_admin(moto_cloud, "admin_redemptions_approve", unknown), 404, "not_found")
    assert [r["action"] for r in _audit(moto_cloud) if r["action"].startswith("redemption.")] == [
        "redemption.approve"
    ]


def test_a_confirmed_physical_order_can_be_rejected_with_its_refund(moto_cloud):
    address = {"name": "Li Lei", "phone": "13800138000", "region": "Shanghai", "detail": "88 Caoxi Road"}
    reward = create_reward(moto_cloud, kind="physical", points=30, stock=2)
    fund("li", 100)
    order = redeem(moto_cloud, "li", reward["reward_id"], "key-physical", address=address).json
    assert order["status"] == "confirmed"

    rejected = _admin(moto_cloud, "admin_redemptions_reject", order["order_id"])
    assert rejected.json["status"] == "cancelled"
    assert PointsStore.default().account("li").balance == 100
    saved = stored(moto_cloud.settings.table_name("mall"), order_key(order["order_id"]))
    assert saved is not None and saved["status"] == "cancelled" and "status_pk" not in saved


def test_an_admin_demoted_after_the_token_was_issued_cannot_reject_or_create(moto_cloud):
    _, order = _reviewed_order(moto_cloud)
    moto_cloud.register("former")  # stored without the admin role
    token = moto_cloud.token("former", "admin", registered=False)
    path = {"order_id": order["order_id"]}
    assert_problem(call_http("admin_redemptions_reject", token=token, path_parameters=path), 403, "forbidden")
    body = {"name": "x", "kind": "virtual", "points": 1, "stock": 1}
    assert_problem(call_http("rewards_create", token=token, body=body), 403, "forbidden")
    assert PointsStore.default().account("li").balance == 40
    saved = stored(moto_cloud.settings.table_name("mall"), order_key(order["order_id"]))
    assert saved is not None and saved["status"] == "pending_review"
    assert [r["actor"] for r in _audit(moto_cloud)] == ["admin:admin1"]  # the reward's creation only


def test_the_review_list_pages_newest_first_and_refuses_other_statuses_and_foreign_cursors(moto_cloud):
    reward = create_reward(moto_cloud, points=1, stock=5, review=True)
    fund("li", 10)
    ids = [
        redeem(moto_cloud, "li", reward["reward_id"], f"key-page-{i:04d}").json["order_id"] for i in range(3)
    ]
    token = moto_cloud.token(ADMIN, "admin")

    first = call_http("admin_redemptions_list", token=token, query={"status": "pending_review", "limit": "2"})
    cursor = first.json["next_cursor"]
    rest = call_http(
        "admin_redemptions_list", token=token, query={"status": "pending_review", "cursor": cursor}
    )
    assert [o["order_id"] for o in first.json["items"] + rest.json["items"]] == ids[::-1]
    assert "next_cursor" not in rest.json

    refused = call_http("admin_redemptions_list", token=token, query={"status": "confirmed"})
    assert_problem(refused, 422, "validation_error")
    # A cursor from the buyer's own order list names another index: refused, not followed.
    mine = call_http("redemptions_list", token=moto_cloud.token("li"), query={"limit": "1"}).json[
        "next_cursor"
    ]
    foreign = call_http("admin_redemptions_list", token=token, query={"cursor": mine})
    assert_problem(foreign, 422, "validation_error")
