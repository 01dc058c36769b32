"""Subscribe-message grants under moto: `POST /v1/me/subscriptions`, then notes through `notify_inbox`
sent as messages only while a grant is held, once per event, the valuable kind first when scarce."""

from __future__ import annotations

import json
from typing import Any

import pytest
from earnloop.identity.models import User
from earnloop.identity.store import user_key
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal
from earnloop.platform.settings import get_settings

from tests.integration.identity.checks import all_items, stored
from tests.support.lambdas import assert_problem, call_http, invoke, sample_body, sqs_event

LI = "01JDQ3Z8V7X6M5N4B3C2A1ZLI0"
WANG = "01JDQ3Z8V7X6M5N4B3C2A1WANG"
# Interactions share one template (they compete for its grants); expiring points have their own.
TEMPLATES = {
    "post_liked": "tpl-social",
    "post_commented": "tpl-social",
    "user_followed": "tpl-social",
    "points_expiring": "tpl-points",
    "redemption_status_changed": "tpl-social",
}


@pytest.fixture
def cloud(moto_cloud: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("EARNLOOP_SUBSCRIBE_TEMPLATES", json.dumps(TEMPLATES))
    get_settings.cache_clear()
    user = User(user_id=LI, nickname="小李", created_at="2026-11-23T00:00:00.000Z", wx_openid="oLi")
    table = get_settings().table_name("identity")
    aws.dynamodb().put_item(
        TableName=table, Item=marshal({**user_key(LI), "entity": "User", **user.model_dump()})
    )
    link = {
        "pk": "IDENT#wx_openid#oLi",
        "sk": "IDENT",
        "entity": "Identity",
        "kind": "wx_openid",
        "user_id": LI,
    }
    aws.dynamodb().put_item(TableName=table, Item=marshal(link))
    moto_cloud.registered.add(LI)
    yield moto_cloud
    get_settings.cache_clear()


def accept(cloud: Any, *template_ids: str) -> Any:
    return call_http("me_subscriptions", token=cloud.token(LI), body={"template_ids": list(template_ids)})


def body(detail_type: str, source: str, **detail: Any) -> dict[str, Any]:
    envelope = sample_body("sqs/notify_inbox.json")
    envelope["detail-type"], envelope["source"] = detail_type, source
    envelope["detail"] = {"event_id": "rec:0", "occurred_at": "2026-12-02T10:00:00Z", **detail}
    return envelope


def comment(comment_id: str) -> dict[str, Any]:
    detail = {"post_id": "P1", "comment_id": comment_id, "author_id": WANG, "post_author_id": LI}
    return body("CommentAdded", "earnloop.content", **detail)


def like(liker: str, post_id: str = "P1") -> dict[str, Any]:
    detail = {
        "post_id": post_id,
        "user_id": liker,
        "post_author_id": LI,
        "liked_at": "2026-12-02T10:00:00.000Z",
    }
    return body("PostLiked", "earnloop.content", **detail)


def expiring() -> dict[str, Any]:
    return body("PointsExpiringSoon", "earnloop.points", user_id=LI, expires_on="2026-12-31", points=80)


def deliver(*bodies: dict[str, Any]) -> None:
    assert invoke("notify_inbox", sqs_event("sqs/notify_inbox.json", *bodies)) == {"batchItemFailures": []}


def sent() -> list[dict[str, Any]]:
    return [item for item in all_items() if item["sk"].startswith("SEEN#subscribe#")]


def grants(template_id: str) -> int:
    item = stored(f"USER#{LI}", f"GRANT#{template_id}")
    return int(item["count"]) if item else 0


def test_grants_are_recorded_per_template_and_only_the_apps_templates_are_taken(cloud):
    answer = accept(cloud, "tpl-social", "tpl-points")
    assert answer.status == 200, answer.body
    assert answer.json == {"grants": {"tpl-social": 1, "tpl-points": 1}}
    assert accept(cloud, "tpl-social").json == {"grants": {"tpl-social": 2, "tpl-points": 1}}
    assert_problem(accept(cloud, "tpl-social", "tpl-other"), 422, "validation_error")
    assert_problem(
        call_http("me_subscriptions", token=cloud.token(LI), body={"template_ids": []}),
        422,
        "validation_error",
    )
    assert grants("tpl-social") == 2 and stored(f"USER#{LI}", "GRANT#tpl-other") is None


def test_a_message_is_sent_once_per_event_and_only_while_a_grant_is_held(cloud):
    deliver(comment("C0"))
    assert sent() == []  # no grant, no message; the note is in the inbox all the same

    accept(cloud, "tpl-social")
    accept(cloud, "tpl-social")
    deliver(comment("C1"), comment("C1"))
    deliver(comment("C1"))
    [message] = sent()
    assert (message["kind"], message["template_id"], message["dedupe_key"]) == (
        "post_commented",
        "tpl-social",
        "comment#C1",
    )
    assert message["data"]["thing1"].startswith("一位用户 评论了你的帖子")
    assert message["page"] == "pages/notifications/index?ref_type=post&ref_id=P1"
    assert grants("tpl-social") == 1
    assert len(call_http("notifications_list", token=cloud.token(LI)).json["items"]) == 2


def test_when_grants_are_scarce_the_valuable_kind_wins(cloud):
    accept(cloud, "tpl-social")
    # One grant left: a comment (value 2) and a like (value 1) leave it for something that matters more.
    deliver(comment("C1"), like(WANG))
    assert sent() == [] and grants("tpl-social") == 1
    order = body(
        "RedemptionStatusChanged",
        "earnloop.mall",
        order_id="O1",
        user_id=LI,
        reward_id="R1",
        reward_name="试吃装",
        from_status="pending_review",
        to_status="confirmed",
        points=0,
    )
    deliver(order)
    assert [m["kind"] for m in sent()] == ["redemption_status_changed"] and grants("tpl-social") == 0

    # Three grants: a like may spend one, then a comment (two left), not another like (one left).
    for _ in range(3):
        accept(cloud, "tpl-social")
    deliver(like(WANG, "P2"), comment("C2"), like(WANG, "P3"))
    kinds = [m["kind"] for m in sent()]
    assert sorted(kinds) == ["post_commented", "post_liked", "redemption_status_changed"]
    assert grants("tpl-social") == 1
    # Expiring points have a template of their own: one grant is enough.
    accept(cloud, "tpl-points")
    deliver(expiring())
    assert "points_expiring" in [m["kind"] for m in sent()] and grants("tpl-points") == 0


def test_a_subscribe_popup_pushed_by_wechat_grants_once_per_push(cloud):
    pushed = body(
        "SubscriptionsAccepted",
        "earnloop.wechat",
        push_id="oLi#1796200000",
        openid="oLi",
        template_ids=["tpl-social", "tpl-unknown"],
        accepted_at=1796200000,
    )
    deliver(pushed, pushed)
    stranger = {**pushed, "detail": {**pushed["detail"], "openid": "oNobody", "push_id": "oNobody#1"}}
    deliver(stranger)
    assert grants("tpl-social") == 1 and stored(f"USER#{LI}", "GRANT#tpl-unknown") is None
