"""Events of the points context."""

from __future__ import annotations

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


def derive(change: Change) -> list[DomainEvent]:
    if change.kind != "INSERT" or change.new is None:
        return []
    if change.entity == "LedgerEntry":
        return [PointsChanged.model_validate(change.new)]
    if change.entity == "ExpiryReminder":
        return [PointsExpiringSoon.model_validate(change.new)]
    return []
