"""Pure rules of the mall: sale windows, what an order starts as, request fingerprints, ranking.

Nothing here reads a clock, the environment or a table: `now` comes in as an argument.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.mall.models import (
    CANCELLED,
    CONFIRMED,
    FULFILLED,
    PENDING_REVIEW,
    OrderStatus,
    RecurringWindow,
    RedemptionCreate,
    Reward,
    SaleState,
    SaleWindow,
)
from earnloop.platform.clock import BUSINESS_TZ
from earnloop.platform.errors import LimitReachedError, NotOnSaleError, ValidationFailedError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

# Per-user limits of a reward without a recurring window count over its whole life.
WHOLE_SALE = "all"
# How far ahead a recurring window's next opening is looked for (beyond: not on sale again).
_MONTHS_AHEAD = 15


def _openings(recurring: RecurringWindow, now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The monthly openings from the one before `now`'s month on, in order."""
    local = now.astimezone(BUSINESS_TZ)
    index = local.year * 12 + local.month - 1 - 1
    for offset in range(_MONTHS_AHEAD + 1):
        year, month = divmod(index + offset, 12)
        start = datetime(
            year, month + 1, recurring.day, recurring.at.hour, recurring.at.minute, tzinfo=BUSINESS_TZ
        )
        yield start, start + timedelta(minutes=recurring.minutes)


def sale_state(window: SaleWindow, now: datetime) -> SaleState:
    """Whether the window is open at `now`, with the current opening (open) or the next one (closed;
    no `opens_at` when it never opens again)."""
    starts, ends = window.starts_at, window.ends_at
    if window.recurring is None:
        if ends is not None and now >= ends:
            return SaleState(open=False)
        if starts is not None and now < starts:
            return SaleState(open=False, opens_at=starts, closes_at=ends)
        return SaleState(open=True, opens_at=starts, closes_at=ends)
    for opening, closing in _openings(window.recurring, now):
        # An opening counts only inside the sale period, cut to it.
        opening = max(opening, starts) if starts else opening
        closing = min(closing, ends) if ends else closing
        if closing <= opening or closing <= now:
            continue
        return SaleState(open=opening <= now, opens_at=opening, closes_at=closing)
    return SaleState(open=False)


def limit_period(window: SaleWindow, state: SaleState) -> str:
    """What a per-user limit counts over: each monthly opening of a recurring sale on its own (its
    Asia/Shanghai date), otherwise the whole sale."""
    if window.recurring is not None and state.opens_at is not None:
        return state.opens_at.astimezone(BUSINESS_TZ).date().isoformat()
    return WHOLE_SALE


def check_redeemable(reward: Reward, request: RedemptionCreate, now: datetime) -> str:
    """Checks what can be checked before the write; returns the limit period the order counts in.

    Raises:
        NotOnSaleError: the reward is unlisted or outside its window (`opens_at` says when next).
        LimitReachedError: the quantity alone exceeds the per-user limit.
        ValidationFailedError: a physical reward without an address.
    """
    state = sale_state(reward.window, now)
    if not reward.listed or not state.open:
        extensions = {"opens_at": state.opens_at.isoformat()} if reward.listed and state.opens_at else {}
        raise NotOnSaleError("this reward is not on sale now", **extensions)
    if reward.per_user_limit is not None and request.quantity > reward.per_user_limit:
        raise LimitReachedError(f"at most {reward.per_user_limit} per user")
    if reward.kind == "physical" and request.address is None:
        raise ValidationFailedError(
            "a physical reward needs a delivery address",
            errors=[{"loc": ["body", "address"], "msg": "Field required"}],
        )
    return limit_period(reward.window, state)


def initial_status(reward: Reward) -> OrderStatus:
    """Reviewed rewards wait for an admin; a physical one is confirmed until it ships; a virtual or
    coupon reward is delivered by the order itself, unless cash is still to be paid."""
    if reward.review:
        return PENDING_REVIEW
    return approved_status(reward.kind, reward.cash_cents)


def approved_status(kind: str, cash_cents: int) -> OrderStatus:
    """What an order becomes once nothing but delivery is left."""
    if kind == "physical" or cash_cents > 0:
        return CONFIRMED
    return FULFILLED


# Transitions an admin may make, from -> to; a repeat of one already made answers as it did.
APPROVABLE: frozenset[OrderStatus] = frozenset({PENDING_REVIEW})
REFUNDABLE: frozenset[OrderStatus] = frozenset({PENDING_REVIEW, CONFIRMED})
TERMINAL: frozenset[OrderStatus] = frozenset({FULFILLED, CANCELLED})


def request_fingerprint(request: RedemptionCreate) -> str:
    """The sha256 of the request's canonical JSON: what an idempotency key is bound to."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def rank_for_you(rewards: Sequence[Reward], tag_counts: Mapping[str, int]) -> list[Reward]:
    """The rewards ordered by how often the caller met their tags (stable: ties keep their order)."""
    return sorted(rewards, key=lambda r: -sum(tag_counts.get(tag, 0) for tag in r.tags))
