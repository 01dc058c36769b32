"""`subscribeMessage.send` against the fake WeChat: what is sent, a refusal, bad data, a refused token."""

from __future__ import annotations

from earnloop.wechat.calls import WeChatApi
from earnloop.wechat.subscribe import SubscribeMessage, WeChatSubscribe

from tests.fakes.wechat_server import SUBSCRIBE_SEND


def message(openid: str = "oUser1", text: str = "小王 评论了你的帖子") -> SubscribeMessage:
    return SubscribeMessage(
        openid=openid,
        template_id="tpl-comment",
        page="pages/notifications/index?ref_type=post&ref_id=P1",
        data={"thing1": text, "time2": "2026-12-02 18:00"},
        state="trial",
    )


def test_a_message_is_sent_as_wechat_documents_it_and_a_refused_token_is_renewed_once(wechat):
    client = WeChatSubscribe(WeChatApi(wechat.base_url, timeout_s=0.5, retries=1, backoff_s=0.01))
    assert client.send(message()) == "sent"
    assert wechat.subscribe_sent == [
        {
            "touser": "oUser1",
            "template_id": "tpl-comment",
            "page": "pages/notifications/index?ref_type=post&ref_id=P1",
            "data": {"thing1": {"value": "小王 评论了你的帖子"}, "time2": {"value": "2026-12-02 18:00"}},
            "miniprogram_state": "trial",
            "lang": "zh_CN",
        }
    ]
    # WeChat forgets the token (40001): renewed once with force_refresh, the message goes through.
    wechat.revoke_tokens()
    assert client.send(message()) == "sent"
    assert wechat.forced_fetches == 1 and len(wechat.subscribe_sent) == 2
    assert len(wechat.api_calls_to(SUBSCRIBE_SEND)) == 3


def test_a_user_without_a_subscription_is_refused_and_bad_data_is_invalid(wechat):
    client = WeChatSubscribe(WeChatApi(wechat.base_url, timeout_s=0.5, retries=1, backoff_s=0.01))
    assert client.send(message(openid="refused-user")) == "refused"
    assert client.send(message(text="x" * 21)) == "invalid"
    assert wechat.subscribe_sent == []
