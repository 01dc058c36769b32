"""WeChat subscribe messages: `subscribeMessage.send`.

Protocol (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html):
`POST {base}/cgi-bin/message/subscribe/send?access_token=` `{touser: <openid>, template_id, page,
data: {<key>: {value}}, miniprogram_state: developer|trial|formal, lang: zh_CN}` -> `{errcode: 0,
errmsg: "ok", msgid}`, or an errcode: 43101 the user holds no subscription for the template (refused,
or spent), 47003 the data does not fit the template's fields, 40003 bad openid, 40037 bad template
id, 41030 bad page. Each message spends one of the user's one-time subscriptions to the template.

A token WeChat refuses (40001/42001) is renewed once through the shared cache (`call_with_token`).
`LocalSubscribe` stands in on the local stage: it calls nobody and answers "sent" (the sender keeps
the record of what was sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from earnloop.platform.observability import logger, mask
from earnloop.platform.wechat import errmsg
from earnloop.wechat.calls import WeChatApi, default_api, errcode
from earnloop.wechat.token import call_with_token

SEND_PATH = "/cgi-bin/message/subscribe/send"
USER_REFUSED = 43101
DATA_INVALID = 47003
# `thing` fields hold at most 20 characters (the template's rule); longer values are cut.
THING_CHARS = 20

MiniProgramState = Literal["developer", "trial", "formal"]
# sent: delivered; refused: the user holds no subscription (43101); invalid: WeChat refused the
# message itself (47003, a bad openid, template or page: nothing the user did).
SendOutcome = Literal["sent", "refused", "invalid"]


@dataclass(frozen=True)
class SubscribeMessage:
    openid: str = field(repr=False)
    template_id: str
    page: str
    data: dict[str, str]
    state: MiniProgramState = "formal"

    def body(self) -> dict[str, Any]:
        return {
            "touser": self.openid,
            "template_id": self.template_id,
            "page": self.page,
            "data": {key: {"value": value} for key, value in self.data.items()},
            "miniprogram_state": self.state,
            "lang": "zh_CN",
        }


class SubscribeClient(Protocol):
    def send(self, message: SubscribeMessage) -> SendOutcome: ...


class WeChatSubscribe:
    """`subscribeMessage.send` with the app's shared access token."""

    def __init__(self, api: WeChatApi | None = None) -> None:
        self._api = api

    def send(self, message: SubscribeMessage) -> SendOutcome:
        """What WeChat did with the message.

        Raises:
            WeChatUnavailableError: WeChat failed or timed out (after retries), or no token.
        """
        api = self._api or default_api()
        body = message.body()
        payload = call_with_token(lambda token: api.post(SEND_PATH, body, query={"access_token": token}))
        code = errcode(payload)
        extra = {"template_id": message.template_id, "openid": mask(message.openid), "errcode": code}
        if code == 0:
            logger.info("subscribe message sent", extra=extra)
            return "sent"
        if code == USER_REFUSED:
            logger.info("subscribe message refused: no subscription held", extra=extra)
            return "refused"
        logger.warning("subscribe message not accepted", extra={**extra, "errmsg": errmsg(payload)})
        return "invalid"


class LocalSubscribe:
    """The local stage's stand-in: no network; every message counts as sent."""

    def send(self, message: SubscribeMessage) -> SendOutcome:
        logger.info(
            "subscribe message (local, not sent)",
            extra={"template_id": message.template_id, "page": message.page, "data": message.data},
        )
        return "sent"
