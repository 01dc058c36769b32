"""Events of the points context."""

from __future__ import annotations

from earnloop.platform.audit import ENTITY as ADMIN_ACTION
from earnloop.platform.audit import derive_recorded
from earnloop.platform.events import Change, DomainEvent


class PointsChanged(DomainEvent):
    """A ledger entry was committed: the balance of `user_id` changed by `delta`."""

    source = "earnloop.points"
    detail_type = "PointsChanged"

    txn_id: str
    user_id: str
    entry_type: str
    delta: int
    balance_after: int
    reason: str
    reference: str | None = None
    created_at: str


class PointsExpiringSoon(DomainEvent):
    """`points` of `user_id` expire after their last valid day `expires_on` (one per user and date)."""

    source = "earnloop.points"
    detail_type = "PointsExpiringSoon"

    user_id: str
    expires_on: str
    points: int


class TierChanged(DomainEvent):
    """`user_id` was promoted (tiers only go up) by the earn that brought `lifetime_earned`."""

    source = "earnloop.points"
    detail_type = "TierChanged"

    user_id: str
    from_tier: str
    to_tier: str
    lifetime_earned: int
    changed_at: str


def _promotion(change: Change) -> list[DomainEvent]:
    """The account's stored tier moved: the write that made the promotion (once per crossing; a
    redelivered stream record derives the same event, which consumers treat as one)."""
    old, new = change.old or {}, change.new
    if new is None or not new.get("tier") or new.get("tier") == old.get("tier"):
        return []
    return [
        TierChanged(
            user_id=new["user_id"],
            from_tier=new["tier_from"],
            to_tier=new["tier"],
            lifetime_earned=int(new["lifetime_earned"]),
            changed_at=new["tier_changed_at"],
        )
    ]


class CheckedIn(DomainEvent):
    """`user_id` checked in on business `day`, the `streak`-th day in a row; `points`: what the
    checkin rule paid that day before a tier's multiplier (0 while the rule is off)."""

    source = "earnloop.points"
    detail_type = "CheckedIn"

    user_id: str
    day: str
    streak: int
    points: int


def derive(change: Change) -> list[DomainEvent]:
    if change.entity == "Account":
        return _promotion(change)
    if change.entity == ADMIN_ACTION:
        return derive_recorded(change)
    if change.kind != "INSERT" or change.new is None:
        return []
    if change.entity == "LedgerEntry":
        return [PointsChanged.model_validate(change.new)]
    if change.entity == "ExpiryReminder":
        return [PointsExpiringSoon.model_validate(change.new)]
    if change.entity == "CheckIn":
        return [CheckedIn.model_validate(change.new)]
    return []
