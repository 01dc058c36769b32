"""Use cases of the sharing context: one function per action, dependencies passed in.

Nothing here pays points. A share that leads to real interaction is marked rewarded once, a new
user's first login through a share is judged as a referral once, and the stream turns those
marks into events that the points worker pays with the earning rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from earnloop.platform.clock import business_day, iso, parse_iso
from earnloop.platform.errors import RateLimitedError, ValidationFailedError
from earnloop.platform.observability import logger, metrics
from earnloop.sharing import tokens
from earnloop.sharing.models import (
    Opening,
    OpenReport,
    Referral,
    RefusalReason,
    Share,
    ShareCreate,
    ShareCreated,
    TargetType,
    Trigger,
)
from earnloop.sharing.rules import COUNTER_KEEP, TOKEN_TTL, judge_token, share_path

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date, datetime

    from earnloop.platform.dynamo import TxAction
    from earnloop.risk.attempts import Attempt
    from earnloop.sharing.store import Acceptance
    from earnloop.sharing.tokens import ShareKeys


class Store(Protocol):
    def put_share(self, share: Share, counting: Sequence[TxAction] = ()) -> None: ...
    def get_share(self, share_id: str) -> Share | None: ...
    def reward_share(self, share_id: str, friend_id: str, trigger: Trigger, at: str) -> bool: ...
    def put_opening(self, opening: Opening) -> bool: ...
    def get_opening(self, user_id: str, target_type: TargetType, target_id: str) -> Opening | None: ...
    def refuse(self, referral: Referral, *, registered: bool) -> bool: ...
    def accept(
        self,
        referral: Referral,
        day: date,
        limit: int | None,
        counter_expires_at: int,
        counting: Sequence[TxAction] = (),
    ) -> Acceptance: ...


class Risk(Protocol):
    def counting(self, referrer_id: str, now: datetime) -> list[TxAction]: ...


def create_share(
    store: Store,
    keys: ShareKeys,
    body: ShareCreate,
    sharer_id: str,
    now: datetime,
    *,
    points: int,
    make_id: Callable[[], str],
    attempt: Attempt | None = None,
) -> ShareCreated:
    """A new share of a target and its signed link (the `attempt`'s risk counting in the same
    transaction). The target is not looked up: this context reads no other context's table, and a
    share pays only for a login, like or comment, which a missing target never gets
    (docs/decisions.md)."""
    share_id = make_id()
    expires = now + TOKEN_TTL
    token = tokens.sign(keys, share_id, sharer_id, expires)
    store.put_share(
        Share(
            share_id=share_id,
            sharer_id=sharer_id,
            target_type=body.target_type,
            target_id=body.target_id,
            created_at=iso(now),
            token_expires_at=iso(expires),
        ),
        attempt.actions() if attempt else (),
    )
    if attempt:
        attempt.counted()
    logger.info("share created", extra={"share_id": share_id, "target_type": body.target_type})
    return ShareCreated(
        share_id=share_id,
        referral_token=token,
        path=share_path(body.target_type, body.target_id, token),
        points=points,
    )


def open_share(store: Store, keys: ShareKeys, body: OpenReport, user_id: str, now: datetime) -> None:
    """Records that a logged-in user opened a share (one PutItem; repeating it is harmless).

    Raises:
        ValidationFailedError: the token is malformed, forged or expired, or names no share.
    """
    try:
        claims = tokens.verify(keys, body.referral_token, now)
    except tokens.TokenError as error:
        raise ValidationFailedError("referral_token is not a live share link", reason=error.reason) from error
    share = store.get_share(claims.share_id)
    if share is None or share.sharer_id != claims.sharer_id:
        # A genuine signature over a share that is not stored cannot happen; answered like a forgery.
        raise ValidationFailedError("referral_token is not a live share link", reason="forged")
    recorded = store.put_opening(
        Opening(
            user_id=user_id,
            share_id=share.share_id,
            sharer_id=share.sharer_id,
            target_type=share.target_type,
            target_id=share.target_id,
            opened_at=iso(now),
        )
    )
    logger.info("share opened", extra={"share_id": share.share_id, "first": recorded})


def judge_open(store: Store, opening: Opening, now: datetime) -> None:
    """An open reported by a logged-in user is no referral: its opener logged in before (a new
    user's referral comes from the token of its first login). Recorded once per user."""
    reason: RefusalReason = "self" if opening.user_id == opening.sharer_id else "existing_user"
    _refuse(store, opening.user_id, reason, now, opening.sharer_id, opening.share_id, registered=False)


def judge_registration(
    store: Store,
    keys: ShareKeys,
    user_id: str,
    token: str,
    registered_at: datetime,
    now: datetime,
    *,
    limit: Callable[[], int | None],
    risk: Risk | None = None,
) -> None:
    """A new user's first login carried a share link: the share pays off (its `login` trigger)
    and the user becomes the sharer's referral, within the referrer's daily limit and the `risk`
    rules (a sliding day's limit: `rate_limited`; a burst flags the referrer); otherwise the
    referral is refused with the reason. Idempotent: a redelivery finds the decision made."""
    judged = judge_token(keys, token, user_id, registered_at)
    claims = judged.claims
    if judged.refusal is not None or claims is None:
        sharer, share = (claims.sharer_id, claims.share_id) if claims else (None, None)
        _refuse(store, user_id, judged.refusal or "malformed", now, sharer, share, registered=True)
        return
    rewarded = store.reward_share(claims.share_id, user_id, "login", iso(registered_at))
    # The day the acceptance is dated: the points worker pays it against the same day's cap.
    day = business_day(now)
    referral = Referral(
        referee_id=user_id,
        status="accepted",
        referrer_id=claims.sharer_id,
        share_id=claims.share_id,
        decided_at=iso(now),
    )
    allowed = limit()
    outcome: Acceptance
    try:
        counting = risk.counting(claims.sharer_id, now) if risk is not None else []
    except RateLimitedError:
        outcome = "rate_limited"  # refused from the counter's read: nothing written for it
    else:
        outcome = (
            "over_cap"
            if allowed is not None and allowed <= 0
            else store.accept(referral, day, allowed, _expiry(day), counting)
        )
    if outcome in ("over_cap", "rate_limited"):
        reason: RefusalReason = "over_cap" if outcome == "over_cap" else "rate_limited"
        _refuse(store, user_id, reason, now, claims.sharer_id, claims.share_id, registered=True)
        return
    if outcome == "accepted":
        metrics.add_metric(name="ReferralsAccepted", unit=MetricUnit.Count, value=1)
    logger.info(
        "referral judged", extra={"share_id": claims.share_id, "outcome": outcome, "share_rewarded": rewarded}
    )


def reward_interaction(store: Store, user_id: str, post_id: str, trigger: Trigger, at: datetime) -> bool:
    """A like or comment on a post by a user who opened a share of it pays that share off, once."""
    opening = store.get_opening(user_id, "post", post_id)
    if opening is None or opening.sharer_id == user_id:
        return False
    rewarded = store.reward_share(opening.share_id, user_id, trigger, iso(at))
    logger.info(
        "share interaction", extra={"share_id": opening.share_id, "trigger": trigger, "first": rewarded}
    )
    return rewarded


def _refuse(
    store: Store,
    referee_id: str,
    reason: RefusalReason,
    now: datetime,
    referrer_id: str | None,
    share_id: str | None,
    *,
    registered: bool,
) -> None:
    referral = Referral(
        referee_id=referee_id,
        status="refused",
        reason=reason,
        referrer_id=referrer_id,
        share_id=share_id,
        decided_at=iso(now),
    )
    recorded = store.refuse(referral, registered=registered)
    if recorded:
        with single_metric(
            name="ReferralsRefused", unit=MetricUnit.Count, value=1, namespace=metrics.namespace
        ) as m:
            m.add_dimension(name="reason", value=reason)
    logger.info("referral refused", extra={"reason": reason, "recorded": recorded})


def _expiry(day: date) -> int:
    return int(parse_iso(f"{day.isoformat()}T00:00:00Z").timestamp() + (COUNTER_KEEP.total_seconds()))
