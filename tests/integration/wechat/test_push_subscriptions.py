"""`subscribe_msg_popup_event` on `/wechat/push`: the accepted templates stored once per pop-up and
derived as `SubscriptionsAccepted`."""

from __future__ import annotations

import time
from typing import Any

import pytest
from earnloop.platform.events import Change
from earnloop.wechat.events import SubscriptionsAccepted, derive

from tests.integration.wechat.test_wechat_push import Push


@pytest.fixture
def wechat_push(moto_cloud: Any) -> Push:
    return Push(moto_cloud)


def popup(*choices: tuple[str, str], created: int = 1_796_200_000) -> dict[str, Any]:
    return {
        "ToUserName": "gh_0123456789ab",
        "FromUserName": "oLi",
        "CreateTime": str(created),
        "MsgType": "event",
        "Event": "subscribe_msg_popup_event",
        "List": [{"TemplateId": t, "SubscribeStatusString": s, "PopupScene": "0"} for t, s in choices],
    }


def test_accepted_templates_are_stored_once_and_derive_one_event(wechat_push):
    message = popup(("tpl-social", "accept"), ("tpl-points", "reject"), ("tpl-order", "accept"))
    assert wechat_push.plain(message).body == "success"
    # WeChat retrying the same pop-up (a new nonce) writes nothing more.
    assert wechat_push.safe(message).body == "success"
    [item] = wechat_push.items("SubscriptionsAccepted")
    assert item["template_ids"] == ["tpl-social", "tpl-order"]
    [event] = derive(Change("wechat", "INSERT", None, item))
    assert event == SubscriptionsAccepted(
        push_id="oLi#1796200000",
        openid="oLi",
        template_ids=["tpl-social", "tpl-order"],
        accepted_at=1_796_200_000,
    )


def test_a_popup_accepting_nothing_or_as_one_object_is_handled(wechat_push):
    assert wechat_push.plain(popup(("tpl-social", "reject"))).body == "success"
    assert wechat_push.items("SubscriptionsAccepted") == []
    single = popup(created=int(time.time()))
    single["List"] = {"TemplateId": "tpl-social", "SubscribeStatusString": "accept", "PopupScene": "0"}
    assert wechat_push.plain(single).body == "success"
    assert [i["template_ids"] for i in wechat_push.items("SubscriptionsAccepted")] == [["tpl-social"]]
