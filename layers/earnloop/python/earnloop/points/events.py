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


def derive(change: Change) -> list[DomainEvent]:
    if change.kind == "INSERT" and change.entity == "LedgerEntry" and change.new is not None:
        return [PointsChanged.model_validate(change.new)]
    return []
