"""A deleted buyer's orders (`UserDeleted` on the mall worker), under moto: every address of the
buyer blanked, nobody else's; orders and the ledger kept for the books (entries still sum to the
balance), a review decided after the erasure refunds without bringing the address back; a
redelivery writes nothing."""

from __future__ import annotations

from earnloop.mall.store import order_key
from earnloop.points.store import PointsStore

from tests.integration.mall.mall_harness import ADDRESS, ADMIN, create_reward, fund, redeem
from tests.support.lambdas import call_http, invoke, sample_body, sqs_event, stored

DELETED_AT = "2026-12-02T10:00:00.000Z"


def order(cloud, order_id: str) -> dict:
    saved = stored(cloud.settings.table_name("mall"), order_key(order_id))
    assert saved is not None
    return saved


def deliver(user_id: str) -> None:
    body = {
        **sample_body("sqs/mall_worker.json"),
        "source": "earnloop.identity",
        "detail-type": "UserDeleted",
    }
    body["detail"] = {"user_id": user_id, "deleted_at": DELETED_AT}
    assert invoke("mall_worker", sqs_event("sqs/mall_worker.json", body)) == {"batchItemFailures": []}


def test_the_deleted_buyers_addresses_are_blanked_and_the_books_kept(moto_cloud):
    shipped = create_reward(moto_cloud, kind="physical", points=30, stock=5)
    reviewed = create_reward(moto_cloud, kind="physical", points=20, stock=5, review=True)
    virtual = create_reward(moto_cloud, points=10)
    fund("li", 100)
    fund("wang", 100)
    mine = [
        redeem(moto_cloud, "li", shipped["reward_id"], "key-li-1", address=ADDRESS).json,
        redeem(moto_cloud, "li", reviewed["reward_id"], "key-li-2", address=ADDRESS).json,
        redeem(moto_cloud, "li", virtual["reward_id"], "key-li-3").json,
    ]
    theirs = redeem(moto_cloud, "wang", shipped["reward_id"], "key-wang-1", address=ADDRESS).json
    assert mine[1]["status"] == "pending_review"

    deliver("li")
    for placed in mine:
        saved = order(moto_cloud, placed["order_id"])
        assert "address" not in saved and saved["user_id"] == "li"
    assert order(moto_cloud, mine[0]["order_id"])["address_erased_at"] == DELETED_AT
    assert "address_erased_at" not in order(moto_cloud, mine[2]["order_id"])  # it never had one
    assert order(moto_cloud, theirs["order_id"])["address"]["phone"] == "13800138000"
    before = order(moto_cloud, mine[0]["order_id"])
    deliver("li")  # a redelivery writes nothing
    assert order(moto_cloud, mine[0]["order_id"]) == before

    # The review is still decided, its refund lands, the address stays blank.
    path = {"order_id": mine[1]["order_id"]}
    rejected = call_http(
        "admin_redemptions_reject", token=moto_cloud.token(ADMIN, "admin"), path_parameters=path
    )
    assert rejected.status == 200 and rejected.json["status"] == "cancelled", rejected.body
    assert "address" not in order(moto_cloud, mine[1]["order_id"])

    # The books: the buyer's ledger entries still sum to the account.
    store = PointsStore.default()
    assert sum(entry.delta for entry in store.entries("li")) == store.account("li").balance == 60
