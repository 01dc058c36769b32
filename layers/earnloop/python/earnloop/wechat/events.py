"""Events of the wechat context: what WeChat pushed, once committed."""

from __future__ import annotations

from typing import Literal

from earnloop.platform.events import Change, DomainEvent
from earnloop.wechat.push_subscriptions import SUBSCRIBED_ENTITY
from earnloop.wechat.store import VERDICT_ENTITY


class MediaCheckVerdict(DomainEvent):
    """WeChat's verdict on an image sent to `mediaCheckAsync`; the media area finds its media item
    by `trace_id`. `outcome` comes from WeChat's suggest (pass / review / risky -> reject); a check
    WeChat could not do (it failed to download the image, `errcode` set) is `review`."""

    source = "earnloop.wechat"
    detail_type = "MediaCheckVerdict"

    trace_id: str
    outcome: Literal["pass", "review", "reject"]
    # WeChat's label: 100 normal, 10001 ads, 20001 politics, 20002 porn, 20003 abuse, ...
    label: int | None = None
    # The user the check was made for, as WeChat's push names it (`FromUserName`).
    openid: str | None = None
    errcode: int = 0


class SubscriptionsAccepted(DomainEvent):
    """A subscribe pop-up's accepted templates (`subscribe_msg_popup_event`), once per push id:
    each pays for one subscribe message to `openid`."""

    source = "earnloop.wechat"
    detail_type = "SubscriptionsAccepted"

    push_id: str
    openid: str
    template_ids: list[str]
    accepted_at: int


def derive(change: Change) -> list[DomainEvent]:
    """`MediaCheckVerdict` when a verdict item is first written (one per trace id: a repeated push
    writes nothing, so consumers see each verdict once, give or take the stream's redelivery)."""
    if change.entity == SUBSCRIBED_ENTITY and change.kind == "INSERT" and change.new is not None:
        return [SubscriptionsAccepted.model_validate(change.new)]
    if change.entity != VERDICT_ENTITY or change.kind != "INSERT" or change.new is None:
        return []
    return [MediaCheckVerdict.model_validate(change.new)]
