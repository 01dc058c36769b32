# The expected texts use Chinese full-width punctuation on purpose.
# ruff: noqa: RUF001
"""Journey step 5, as the buyer is told, on the local cloud over HTTP: a reviewed redemption and its
rejection reach the buyer's inbox through the stream, the bus and the notify queue; the reward's
tags reach the profile through the tags queue; the unread count follows "mark all read"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.harness import scan

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers, User

pytestmark = pytest.mark.e2e


def test_a_buyer_is_told_of_the_order_and_its_rejection_and_learns_the_rewards_tags(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User, batch: Batch
) -> None:
    li = buyers.login()
    assert scan(api, li, batch.codes[0]).status_code == 202
    cloud.pump_until_idle()
    created = api.post(
        "/v1/admin/rewards",
        headers=admin.headers,
        json={
            "name": "试吃装",
            "kind": "virtual",
            "points": 30,
            "stock": 5,
            "review": True,
            "tags": ["尝鲜达人"],
        },
    )
    assert created.status_code == 201, created.text
    reward_id = created.json()["reward_id"]
    headers = {**li.headers, "Idempotency-Key": f"inbox-{li.id}"}
    redeemed = api.post("/v1/redemptions", headers=headers, json={"reward_id": reward_id, "quantity": 1})
    assert redeemed.status_code == 201, redeemed.text
    order_id = redeemed.json()["order_id"]
    cloud.pump_until_idle()
    assert api.post(f"/v1/admin/redemptions/{order_id}/reject", headers=admin.headers).status_code == 200
    cloud.pump_until_idle()

    inbox = api.get("/v1/notifications", headers=li.headers)
    assert inbox.status_code == 200, inbox.text
    items = inbox.json()["items"]
    assert [(i["kind"], i["ref"], i["read"]) for i in items] == [
        ("redemption_status_changed", {"type": "order", "id": order_id}, False),
        ("redemption_placed", {"type": "order", "id": order_id}, False),
        # The scan that paid for it, credited (issue 9's notifications).
        ("points_earned", {"type": "points", "id": f"scan#{batch.codes[0]}"}, False),
    ]
    assert items[0]["text"] == "你兑换的「试吃装」未通过审核，订单已取消，30 积分已退回你的账户。"
    me = api.get("/v1/me", headers=li.headers).json()
    assert me["unread_notifications"] == 3
    assert "尝鲜达人" in me["tags"]

    assert api.post("/v1/notifications/read", headers=li.headers, json={"all": True}).status_code == 204
    assert api.get("/v1/me", headers=li.headers).json()["unread_notifications"] == 0
    assert all(i["read"] for i in api.get("/v1/notifications", headers=li.headers).json()["items"])


def test_an_author_is_told_the_post_is_published_hidden_for_review_and_taken_down_with_why(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User
) -> None:
    li = buyers.login()
    body = {"text": "燕麦桃子水果碗", "media_ids": [], "topics": ["早餐"]}
    created = api.post(
        "/v1/posts", headers={**li.headers, "Idempotency-Key": f"inbox-post-{li.id}"}, json=body
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["post_id"]
    cloud.pump_until_idle()
    for reader in (buyers.login(), buyers.login(), buyers.login()):
        reported = api.post(f"/v1/posts/{post_id}/reports", headers=reader.headers, json={"reason": "spam"})
        assert reported.status_code == 202
    cloud.pump_until_idle()
    taken = api.post(f"/v1/admin/posts/{post_id}/reject", headers=admin.headers, json={"reason": "spam"})
    assert taken.status_code == 200, taken.text
    cloud.pump_until_idle()

    items = api.get("/v1/notifications", headers=li.headers).json()["items"]
    assert [(i["kind"], i["ref"]["id"]) for i in items] == [
        ("post_taken_down", post_id),
        ("post_in_review", post_id),
        ("post_published", post_id),
    ]
    assert [i["text"] for i in items] == [
        "你的帖子已被下架：内容含有广告或营销信息。因这篇帖子获得的积分将被扣回。",
        "你的帖子正在人工审核（多位用户举报了这条内容），审核期间暂时隐藏，通过后会恢复显示。",
        "你的帖子「燕麦桃子水果碗」已发布，快去看看吧。",
    ]
    first = items[-1]["id"]
    assert api.post("/v1/notifications/read", headers=li.headers, json={"ids": [first]}).status_code == 204
    assert api.get("/v1/me", headers=li.headers).json()["unread_notifications"] == 2
