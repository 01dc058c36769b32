"""`subscribe_msg_popup_event` pushes: the templates a user accepted in a subscribe pop-up.

JSON mode (https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/subscribe-message.html):
`{ToUserName, FromUserName: <openid>, CreateTime, MsgType: "event", Event: "subscribe_msg_popup_event",
List: [{TemplateId, SubscribeStatusString: accept|reject, PopupScene}]}` (`List` may be one object).

A push with accepted templates is one conditional write, with its nonce, of
`SUBSCRIBED#<openid>#<CreateTime>` (TTL 30 days), which derives `SubscriptionsAccepted`: identity
turns it into grants (once per push id). A push accepting nothing writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from earnloop.platform.errors import ValidationFailedError
from earnloop.platform.observability import logger, mask

if TYPE_CHECKING:
    from earnloop.wechat.push import Push
    from earnloop.wechat.store import PushStore

POPUP = ("event", "subscribe_msg_popup_event")
SUBSCRIBED_ENTITY = "SubscriptionsAccepted"
RETENTION_S = 30 * 24 * 3600


class _Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    TemplateId: str = Field(min_length=1, max_length=128)
    SubscribeStatusString: str = ""


class _PopupPush(BaseModel):
    model_config = ConfigDict(extra="ignore")

    FromUserName: str = Field(min_length=1, max_length=128)
    CreateTime: int
    List: list[_Choice] | _Choice = Field(default_factory=list)


def record_popup(push: Push, store: PushStore) -> None:
    """Stores the accepted templates of a pop-up once (a replay or a retry writes nothing)."""
    try:
        popup = _PopupPush.model_validate(push.message)
    except ValidationError:
        raise ValidationFailedError("subscribe_msg_popup_event without an openid or a list") from None
    choices = popup.List if isinstance(popup.List, list) else [popup.List]
    accepted = list(dict.fromkeys(c.TemplateId for c in choices if c.SubscribeStatusString == "accept"))
    extra = {"openid": mask(popup.FromUserName), "accepted": len(accepted)}
    if not accepted:
        logger.info("subscribe pop-up accepted nothing", extra=extra)
        return
    push_id = f"{popup.FromUserName}#{popup.CreateTime}"
    item: dict[str, Any] = {
        "pk": f"SUBSCRIBED#{push_id}",
        "sk": "SUBSCRIBED",
        "entity": SUBSCRIBED_ENTITY,
        "push_id": push_id,
        "openid": popup.FromUserName,
        "template_ids": accepted,
        "accepted_at": popup.CreateTime,
        "expires_at": push.now + RETENTION_S,
    }
    written = store.record_once(
        timestamp=push.timestamp, nonce=push.nonce, nonce_expires_at=push.nonce_expires_at, item=item
    )
    logger.info("subscribe pop-up recorded" if written else "subscribe pop-up already recorded", extra=extra)
