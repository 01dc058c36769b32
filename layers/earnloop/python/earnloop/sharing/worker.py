"""The sharing worker (`shares_settle`, queue `sharing`): judges new users' share links as
referrals, judges reported opens, and marks a share rewarded when it leads to a like or comment.
Every write is conditional, so a redelivered message changes nothing."""

from __future__ import annotations

from datetime import datetime

from earnloop.identity.events import UserRegistered
from earnloop.platform.clock import parse_iso, utcnow
from earnloop.platform.workers import queue_worker
from earnloop.points.earning_rules import earning_rule
from earnloop.sharing import service
from earnloop.sharing.consumed import CommentAdded, PostLiked, UserDeleted
from earnloop.sharing.erasure import SharesErasureContinued, erase_sharer
from earnloop.sharing.events import ShareOpened
from earnloop.sharing.keys import share_keys
from earnloop.sharing.models import Opening
from earnloop.sharing.referral_risk import ReferralRisk
from earnloop.sharing.rules import referrals_per_day
from earnloop.sharing.store import sharing_store


def referral_limit() -> int | None:
    """The `referral` rule's daily cap in whole referrals (the rule as it applies now)."""
    rule = earning_rule("referral")
    return referrals_per_day(rule.points, rule.daily_cap, rule.enabled)


def _registered(event: UserRegistered) -> None:
    if not event.referral_token:
        return
    service.judge_registration(
        sharing_store(),
        share_keys(),
        event.user_id,
        event.referral_token,
        parse_iso(event.created_at),
        utcnow(),
        limit=referral_limit,
        risk=ReferralRisk.default(),
    )


def _opened(event: ShareOpened) -> None:
    service.judge_open(sharing_store(), Opening.model_validate(event.model_dump()), utcnow())


def _liked(event: PostLiked) -> None:
    at = event.liked_at or event.occurred_at
    service.reward_interaction(sharing_store(), event.user_id, event.post_id, "like", _moment(at))


def _commented(event: CommentAdded) -> None:
    service.reward_interaction(
        sharing_store(), event.author_id, event.post_id, "comment", _moment(event.occurred_at)
    )


def _deleted(event: UserDeleted | SharesErasureContinued) -> None:
    erase_sharer(sharing_store(), event)


def _moment(text: str | None) -> datetime:
    return parse_iso(text) if text else utcnow()


lambda_handler = queue_worker(
    {
        UserRegistered.detail_type: (UserRegistered, _registered),
        ShareOpened.detail_type: (ShareOpened, _opened),
        PostLiked.detail_type: (PostLiked, _liked),
        CommentAdded.detail_type: (CommentAdded, _commented),
        UserDeleted.detail_type: (UserDeleted, _deleted),
        SharesErasureContinued.detail_type: (SharesErasureContinued, _deleted),
    }
)
