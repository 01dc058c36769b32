# The expected texts use Chinese full-width punctuation on purpose.
# ruff: noqa: RUF001
"""The notifications inbox under moto: mall and content events through the `notify_inbox` worker,
then `GET /v1/notifications`, `POST /v1/notifications/read` and the unread count on `GET /v1/me`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from earnloop.identity.notifications_store import InboxStore
from earnloop.local.samples import load
from earnloop.platform import aws
from earnloop.platform.settings import get_settings

from tests.integration.identity.checks import all_items
from tests.support.lambdas import assert_problem, call_http, drain, invoke, sample_body, sqs_event

LI = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
WANG = "01JDQ3Z8V7X6M5N4B3C2A1WANG"
SOURCES = {
    "RedemptionPlaced": "earnloop.mall",
    "RedemptionStatusChanged": "earnloop.mall",
    "PostPublished": "earnloop.content",
    "PostInReview": "earnloop.content",
    "PostRejected": "earnloop.content",
    "PostTakenDown": "earnloop.content",
    "MediaRejected": "earnloop.content",
}


def body(detail_type: str, **detail: Any) -> dict[str, Any]:
    """An EventBridge event as the bus delivers it to the notify queue (the publisher's fields too)."""
    envelope = sample_body("sqs/notify_inbox.json")
    envelope["detail-type"], envelope["source"] = detail_type, SOURCES[detail_type]
    envelope["detail"] = {"event_id": "rec:0", "occurred_at": "2026-11-23T10:00:00Z", **detail}
    return envelope


def deliver(*bodies: dict[str, Any]) -> None:
    assert invoke("notify_inbox", sqs_event("sqs/notify_inbox.json", *bodies)) == {"batchItemFailures": []}


def placed(order_id: str = "O1", user_id: str = LI, **detail: Any) -> dict[str, Any]:
    fields = {"reward_id": "R1", "reward_name": "试吃装", "quantity": 1, "points": 300, "status": "confirmed"}
    return body("RedemptionPlaced", order_id=order_id, user_id=user_id, **{**fields, "tags": [], **detail})


def rejected(post_id: str = "P1", author_id: str = LI, reason: str = "porn") -> dict[str, Any]:
    return body("PostRejected", post_id=post_id, author_id=author_id, reason=reason)


def inbox(token: str, **query: str) -> Any:
    answer = call_http("notifications_list", token=token, query=query)
    assert answer.status == 200, answer.body
    return answer.json


def mark(token: str, payload: dict[str, Any]) -> None:
    answer = call_http("notifications_read", token=token, body=payload)
    assert answer.status == 204, answer.body
    assert answer.body == ""


def unread(token: str) -> int:
    me = call_http("me_get", token=token)
    assert me.status == 200, me.body
    return int(me.json["unread_notifications"])


CASES = [
    (
        placed(status="confirmed", quantity=2),
        "redemption_placed",
        "兑换成功：「试吃装」×2，使用 300 积分。",
        {"type": "order", "id": "O1"},
    ),
    (
        placed(status="pending_review"),
        "redemption_placed",
        "你已提交兑换「试吃装」，使用 300 积分，订单正在审核，结果会通知你。",
        {"type": "order", "id": "O1"},
    ),
    (
        body(
            "RedemptionStatusChanged",
            order_id="O1",
            user_id=LI,
            reward_id="R1",
            reward_name="试吃装",
            from_status="pending_review",
            to_status="confirmed",
            points=300,
        ),
        "redemption_status_changed",
        "你兑换的「试吃装」已通过审核，订单已确认。",
        {"type": "order", "id": "O1"},
    ),
    (
        body(
            "RedemptionStatusChanged",
            order_id="O1",
            user_id=LI,
            reward_id="R1",
            reward_name="试吃装",
            from_status="confirmed",
            to_status="fulfilled",
            points=300,
        ),
        "redemption_status_changed",
        "你兑换的「试吃装」已发放，请留意查收。",
        {"type": "order", "id": "O1"},
    ),
    (
        body(
            "PostPublished",
            post_id="P1",
            author_id=LI,
            text="我的 燕麦桃子 水果碗，早餐十分钟搞定，超级好吃！",
            topics=["早餐"],
            media=[],
            created_at="2026-11-23T09:59:00.000Z",
            published_at="2026-11-23T10:00:00.000Z",
        ),
        "post_published",
        "你的帖子「我的 燕麦桃子 水果碗，早餐十分钟搞定，…」已发布，快去看看吧。",
        {"type": "post", "id": "P1"},
    ),
    (
        body("PostInReview", post_id="P1", author_id=LI, reason="reports"),
        "post_in_review",
        "你的帖子正在人工审核（多位用户举报了这条内容），审核通过后会自动发布。",
        {"type": "post", "id": "P1"},
    ),
    (
        rejected(reason="label:porn"),
        "post_rejected",
        "你的帖子未能发布：内容含有色情信息。请修改后重新发布。",
        {"type": "post", "id": "P1"},
    ),
    (
        rejected(reason="media:too_many_pixels"),
        "post_rejected",
        "你的帖子未能发布：图片像素过大。请修改后重新发布。",
        {"type": "post", "id": "P1"},
    ),
    (
        rejected(reason="something-new"),
        "post_rejected",
        "你的帖子未能发布：内容不符合社区规范。请修改后重新发布。",
        {"type": "post", "id": "P1"},
    ),
    (
        body("PostTakenDown", post_id="P1", author_id=LI, reason="spam"),
        "post_taken_down",
        "你的帖子已被下架：内容含有广告或营销信息。因这篇帖子获得的积分将被扣回。",
        {"type": "post", "id": "P1"},
    ),
    (
        body("PostRejected", post_id="P1", author_id=LI, reason="admin", was_published=True),
        "post_taken_down",
        "你的帖子已被下架：经人工审核，内容不符合社区规范。因这篇帖子获得的积分将被扣回。",
        {"type": "post", "id": "P1"},
    ),
    (
        body("PostInReview", post_id="P1", author_id=LI, reason="reports", was_published=True),
        "post_in_review",
        "你的帖子正在人工审核（多位用户举报了这条内容），审核期间暂时隐藏，通过后会恢复显示。",
        {"type": "post", "id": "P1"},
    ),
    (
        body("MediaRejected", media_id="M1", owner_id=LI, reason="too_large"),
        "media_rejected",
        "你上传的图片或视频未通过检查：文件太大（图片不超过 10 MB，视频不超过 50 MB）。",
        {"type": "media", "id": "M1"},
    ),
]


@pytest.mark.parametrize(
    ("event", "kind", "text", "ref"), CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)]
)
def test_each_event_puts_its_notification_in_the_recipients_inbox(moto_cloud, event, kind, text, ref):
    token = moto_cloud.token(LI)
    deliver(event)

    [item] = inbox(token)["items"]
    assert item["kind"] == kind and item["text"] == text and item["ref"] == ref
    assert item["read"] is False and item["created_at"].endswith("Z") and len(item["id"]) == 26
    assert inbox(moto_cloud.token(WANG)) == {"items": []}


def test_the_sample_event_tells_the_buyer_the_order_was_refused_and_refunded(moto_cloud):
    assert invoke("notify_inbox", load("sqs/notify_inbox.json")) == {"batchItemFailures": []}

    [item] = inbox(moto_cloud.token(LI))["items"]
    assert item["kind"] == "redemption_status_changed"
    assert item["text"] == "你兑换的「燕麦桃子酸奶试吃装」未通过审核，订单已取消，300 积分已退回你的账户。"
    assert item["ref"] == {"type": "order", "id": "01JDQ4A2B3C4D5E6F7G8H9J0KM"}


def test_a_take_down_told_by_both_events_is_one_notification(moto_cloud):
    deliver(
        body("PostTakenDown", post_id="P1", author_id=LI, reason="spam"),
        body("PostRejected", post_id="P1", author_id=LI, reason="spam", was_published=True),
    )
    assert [item["kind"] for item in inbox(moto_cloud.token(LI))["items"]] == ["post_taken_down"]


def test_a_redelivered_event_makes_one_notification(moto_cloud):
    event = rejected()
    deliver(event)
    deliver(event, event)
    # The same happening republished under another event id is still one notification.
    deliver({**event, "detail": {**event["detail"], "event_id": "other:3"}})

    assert len(inbox(moto_cloud.token(LI))["items"]) == 1
    notes = [i for i in all_items() if i["entity"] == "Notification"]
    guards = [i for i in all_items() if i["entity"] == "NotificationSeen"]
    assert len(notes) == 1 and len(guards) == 1
    assert notes[0]["expires_at"] == guards[0]["expires_at"] > 0


def test_each_happening_of_one_order_is_its_own_notification(moto_cloud):
    changed = {"reward_id": "R1", "reward_name": "试吃装", "points": 300, "user_id": LI, "order_id": "O1"}
    deliver(
        placed(status="pending_review"),
        body("RedemptionStatusChanged", from_status="pending_review", to_status="confirmed", **changed),
        body("RedemptionStatusChanged", from_status="confirmed", to_status="cancelled", **changed),
    )
    texts = [item["text"] for item in inbox(moto_cloud.token(LI))["items"]]
    assert texts == [
        "你兑换的「试吃装」订单已取消，300 积分已退回你的账户。",
        "你兑换的「试吃装」已通过审核，订单已确认。",
        "你已提交兑换「试吃装」，使用 300 积分，订单正在审核，结果会通知你。",
    ]


def test_only_the_malformed_message_of_a_batch_is_reported(moto_cloud):
    good, bad = rejected(), rejected()
    del bad["detail"]["author_id"]
    event = sqs_event("sqs/notify_inbox.json", bad, good)
    bad_id = event["Records"][0]["messageId"]
    assert invoke("notify_inbox", event) == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    assert len(inbox(moto_cloud.token(LI))["items"]) == 1


def test_the_inbox_pages_newest_first_with_an_opaque_cursor(moto_cloud):
    token = moto_cloud.token(LI)
    for start in range(0, 25, 10):
        deliver(*(rejected(post_id=f"P{n:02d}") for n in range(start, min(start + 10, 25))))

    seen, cursor, pages = [], None, 0
    while True:
        page = inbox(token, limit="10", **({"cursor": cursor} if cursor else {}))
        seen += [item["ref"]["id"] for item in page["items"]]
        pages += 1
        cursor = page.get("next_cursor")
        if cursor is None:
            break
        assert LI not in cursor and "NOTE" not in cursor
    assert pages == 3
    assert seen == [f"P{n:02d}" for n in reversed(range(25))]


def test_a_cursor_never_leaves_the_callers_inbox(moto_cloud):
    li, wang = moto_cloud.token(LI), moto_cloud.token(WANG)
    deliver(*(rejected(post_id=f"L{n}") for n in range(3)), rejected(post_id="W0", author_id=WANG))
    cursor = inbox(li, limit="1")["next_cursor"]

    # Li's cursor in Wang's hands pages Wang's own (shorter) inbox: the partition is the caller's.
    assert [i["ref"]["id"] for i in inbox(wang, cursor=cursor)["items"]] == []
    assert [i["ref"]["id"] for i in inbox(li, cursor=cursor)["items"]] == ["L1", "L0"]


@pytest.mark.parametrize("query", [{"cursor": "not-a-cursor"}, {"cursor": "eyJzayI6eyJTIjoiVEFHI3gifX0"}])
def test_a_forged_cursor_is_a_validation_error(moto_cloud, query):
    answer = call_http("notifications_list", token=moto_cloud.token(LI), query=query)
    assert_problem(answer, 422, "validation_error")


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_limit_is_between_1_and_100(moto_cloud, limit):
    answer = call_http("notifications_list", token=moto_cloud.token(LI), query={"limit": limit})
    assert_problem(answer, 422, "validation_error")


def test_marking_some_read_leaves_the_others_unread(moto_cloud):
    token = moto_cloud.token(LI)
    deliver(*(rejected(post_id=f"P{n}") for n in range(4)))
    ids = [item["id"] for item in inbox(token)["items"]]
    assert unread(token) == 4

    mark(token, {"ids": ids[:2]})
    mark(token, {"ids": ids[:1]})  # again: harmless

    assert [item["read"] for item in inbox(token)["items"]] == [True, True, False, False]
    assert unread(token) == 2


def test_ids_of_another_users_inbox_are_ignored(moto_cloud):
    li, wang = moto_cloud.token(LI), moto_cloud.token(WANG)
    deliver(rejected(author_id=WANG), rejected(post_id="P2"))
    [wang_note] = inbox(wang)["items"]
    [li_note] = inbox(li)["items"]

    mark(li, {"ids": [wang_note["id"], "01JDQ3Z8V7X6M5N4B3C2A1Z0YX", li_note["id"]]})

    assert inbox(wang)["items"][0]["read"] is False and unread(wang) == 1
    assert inbox(li)["items"][0]["read"] is True and unread(li) == 0
    # No stray item was written in Li's partition for the ids that are not hers.
    assert len([i for i in all_items() if i["entity"] == "Notification"]) == 2


def test_all_read_is_one_write_and_later_notifications_are_unread(moto_cloud):
    token = moto_cloud.token(LI)
    deliver(*(rejected(post_id=f"P{n}") for n in range(3)))
    before = {(i["pk"], i["sk"]): i for i in all_items() if i["entity"] == "Notification"}

    mark(token, {"all": True})

    assert all(item["read"] for item in inbox(token)["items"]) and unread(token) == 0
    # The notes themselves are untouched: one watermark on the inbox item did it.
    assert before == {(i["pk"], i["sk"]): i for i in all_items() if i["entity"] == "Notification"}
    assert len([i for i in all_items() if i["entity"] == "Inbox"]) == 1

    deliver(rejected(post_id="P9"))
    assert [item["read"] for item in inbox(token)["items"]] == [False, True, True, True]
    assert unread(token) == 1
    mark(token, {"all": True})
    assert unread(token) == 0


def test_all_read_on_an_empty_inbox_writes_nothing(moto_cloud):
    mark(moto_cloud.token(LI), {"all": True})
    assert [i for i in all_items() if i["entity"] != "User"] == []


@pytest.mark.parametrize(
    "payload",
    [{}, {"ids": []}, {"all": False}, {"ids": ["x"]}, {"all": True, "ids": ["01JDQ3Z8V7X6M5N4B3C2A1Z0YX"]}],
)
def test_a_bad_mark_read_body_is_a_validation_error(moto_cloud, payload):
    answer = call_http("notifications_read", token=moto_cloud.token(LI), body=payload)
    assert_problem(answer, 422, "validation_error")


def test_more_than_100_ids_is_a_validation_error(moto_cloud):
    ids = [f"01JDQ3Z8V7X6M5N4B3C2A1{n:04d}" for n in range(101)]
    answer = call_http("notifications_read", token=moto_cloud.token(LI), body={"ids": ids})
    assert_problem(answer, 422, "validation_error")


def test_the_inbox_needs_a_token(moto_cloud):
    assert_problem(call_http("notifications_list"), 401, "unauthenticated")
    assert_problem(call_http("notifications_read", body={"all": True}), 401, "unauthenticated")


def test_the_unread_count_is_one_bounded_query_over_the_newest_notes(moto_cloud):
    token = moto_cloud.token(LI)
    deliver(*(rejected(post_id=f"P{n}") for n in range(5)))
    store = InboxStore(aws.dynamodb(), get_settings().table_name("identity"))
    # However many notes there are, one query reads at most the window.
    assert store.unread_count(LI, None, window=3) == 3
    assert store.unread_count(LI, None, window=100) == 5
    newest = inbox(token)["items"][0]["id"]
    assert store.unread_count(LI, newest, window=100) == 0
    assert unread(token) == 5


def test_the_bus_routes_mall_and_content_events_to_the_notify_and_tags_queues(moto_cloud):
    order = placed(tags=["yogurt"])
    post = rejected()
    taken_down = body("PostTakenDown", post_id="P2", author_id=LI, reason="spam")
    aws.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": moto_cloud.settings.event_bus,
            }
            for event in (order, post, taken_down)
        ]
    )

    notify = drain(moto_cloud.queues["notify"].main)
    tags = drain(moto_cloud.queues["tags"].main)
    assert sorted(e["detail-type"] for e in notify) == ["PostRejected", "PostTakenDown", "RedemptionPlaced"]
    assert [e["detail-type"] for e in tags] == ["RedemptionPlaced"]

    deliver(*notify)
    assert invoke("profile_tags", sqs_event("sqs/profile_tags.json", *tags)) == {"batchItemFailures": []}
    token = moto_cloud.token(LI)
    kinds = sorted(item["kind"] for item in inbox(token)["items"])
    assert kinds == ["post_rejected", "post_taken_down", "redemption_placed"]
    assert call_http("me_get", token=token).json["tags"] == ["yogurt"]
