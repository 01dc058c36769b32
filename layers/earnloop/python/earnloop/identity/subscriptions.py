"""WeChat subscribe messages beside the inbox: grants held per (user, template), what a kind is
worth, and sending a note as a message while a grant is held.

Every grant pays for one message (WeChat's one-time subscriptions). When grants are scarce the more
valuable message wins: a kind may spend a template's grant only while the user holds at least its
`reserve` of them, so the last grant is kept for what matters most (points about to expire,
redemptions, take-downs), the second-to-last for comments, referrals, promotions and credited
scans, and likes and follows are sent only with three or more in hand. Kinds that share a template
compete this way; a kind with a template of its own simply sends while any grant is held.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol
from zoneinfo import ZoneInfo

from earnloop.identity.notifications_texts import snippet
from earnloop.platform.clock import iso
from earnloop.platform.errors import ValidationFailedError, WeChatUnavailableError
from earnloop.platform.observability import logger, metrics

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from earnloop.identity.models import User
    from earnloop.identity.notifications_models import NoticeDraft
    from earnloop.wechat.subscribe import MiniProgramState, SubscribeClient

SHANGHAI = ZoneInfo("Asia/Shanghai")
# How much a kind is worth to its recipient, 1..3 (higher wins scarce grants); unlisted kinds: 1.
VALUE: dict[str, int] = {
    "points_expiring": 3,
    "redemption_status_changed": 3,
    "redemption_placed": 3,
    "post_taken_down": 3,
    "post_rejected": 3,
    "post_commented": 2,
    "referral_accepted": 2,
    "tier_promoted": 2,
    "points_earned": 2,
    "post_published": 2,
    "post_liked": 1,
    "user_followed": 1,
}
TOP_VALUE = 3
# The page a tapped message opens: the inbox, at the note's subject.
PAGE = "pages/notifications/index"
MAX_TEMPLATES = 10

Delivery = Literal["sent", "refused", "invalid", "failed", "no_template", "no_openid", "no_grant"]


def reserve(kind: str) -> int:
    """How many grants of the template the user must hold for a message of this kind to spend one:
    1 for the most valuable kinds, one more for each step down."""
    return TOP_VALUE - VALUE.get(kind, 1) + 1


class GrantRepository(Protocol):
    def add(self, user_id: str, template_ids: Sequence[str], at: str, guard: str | None = None) -> bool: ...
    def grants(self, user_id: str) -> dict[str, int]: ...
    def spend(self, user_id: str, template_id: str, reserve: int, record: Mapping[str, object]) -> bool: ...
    def refund(self, user_id: str, template_id: str) -> None: ...
    def clear(self, user_id: str, template_id: str) -> None: ...


def accept(
    grants: GrantRepository, user_id: str, template_ids: Sequence[str], known: Sequence[str], now: datetime
) -> dict[str, int]:
    """Records the subscriptions the user accepted in `wx.requestSubscribeMessage` (one grant per
    template each time). Returns the grants the user now holds for the app's templates.

    Raises:
        ValidationFailedError: a template id that is none of the app's (`known`).
    """
    unknown = sorted(set(template_ids) - set(known))
    if unknown:
        raise ValidationFailedError(
            "not a template of this app",
            errors=[{"loc": ["body", "template_ids"], "msg": f"unknown: {', '.join(unknown)}"}],
        )
    grants.add(user_id, template_ids, iso(now))
    logger.info("subscriptions accepted", extra={"user_id": user_id, "templates": len(set(template_ids))})
    held = grants.grants(user_id)
    return {template_id: max(0, held.get(template_id, 0)) for template_id in dict.fromkeys(known)}


def accept_popup(
    grants: GrantRepository,
    user_id: str,
    push_id: str,
    template_ids: Sequence[str],
    known: Sequence[str],
    now: datetime,
) -> bool:
    """The templates a subscribe pop-up pushed as accepted (`subscribe_msg_popup_event`), counted
    once per push; templates that are not the app's are ignored. Returns whether any was counted."""
    mine = [template_id for template_id in dict.fromkeys(template_ids) if template_id in set(known)]
    if not mine:
        return False
    added = grants.add(user_id, mine, iso(now), guard=push_id)
    logger.info("subscriptions pushed", extra={"user_id": user_id, "templates": len(mine), "added": added})
    return added


class Sender:
    """Sends a note as a subscribe message when a template is configured for its kind and the user
    holds a grant to spare (`deliver`, called once per added note)."""

    def __init__(
        self,
        grants: GrantRepository,
        users: UserReader,
        client: SubscribeClient,
        templates: Mapping[str, str],
        *,
        text_field: str = "thing1",
        time_field: str = "time2",
        state: MiniProgramState = "formal",
        now: datetime,
    ) -> None:
        self._grants = grants
        self._users = users
        self._client = client
        self._templates = templates
        self._text_field = text_field
        self._time_field = time_field
        self._state = state
        self._now = now

    def deliver(self, draft: NoticeDraft) -> Delivery:
        template_id = self._templates.get(draft.kind)
        if not template_id:
            return "no_template"
        # Imported here: the identity HTTP functions share this module and never send (cold start).
        from earnloop.wechat.subscribe import THING_CHARS, SubscribeMessage

        user = self._users(draft.user_id)
        if user is None or not user.wx_openid:
            return "no_openid"
        message = SubscribeMessage(
            openid=user.wx_openid,
            template_id=template_id,
            page=f"{PAGE}?ref_type={draft.ref.type}&ref_id={draft.ref.id}",
            data={
                self._text_field: snippet(draft.text, THING_CHARS - 1),
                self._time_field: self._now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            },
            state=self._state,
        )
        record = {
            "dedupe_key": draft.dedupe_key,
            "user_id": draft.user_id,
            "kind": draft.kind,
            "template_id": template_id,
            "page": message.page,
            "data": message.data,
            "sent_at": iso(self._now),
            "expires_at": int(self._now.timestamp()) + 90 * 86400,
        }
        extra = {"user_id": draft.user_id, "kind": draft.kind, "template_id": template_id}
        if not self._grants.spend(draft.user_id, template_id, reserve(draft.kind), record):
            logger.info("no subscribe grant to spare (or sent already)", extra=extra)
            return "no_grant"
        try:
            outcome = self._client.send(message)
        except WeChatUnavailableError:
            # The note is in the inbox; the grant was not used, so it stays for the next message.
            self._grants.refund(draft.user_id, template_id)
            logger.warning("subscribe message not sent: WeChat unavailable", extra=extra)
            return "failed"
        if outcome == "refused":
            self._grants.clear(draft.user_id, template_id)
        elif outcome == "invalid":
            self._grants.refund(draft.user_id, template_id)
        else:
            metrics.add_metric(name="SubscribeMessagesSent", unit="Count", value=1)
        return outcome


class UserReader(Protocol):
    def __call__(self, user_id: str) -> User | None: ...
