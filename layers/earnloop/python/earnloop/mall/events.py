"""Events of the mall, derived from its table's stream: an order placed, an order that moved on.

The inbox tells the buyer; the tags worker learns from what they redeem (`tags`).
"""

from __future__ import annotations

from earnloop.platform.events import Change, DomainEvent


class RedemptionPlaced(DomainEvent):
    source = "earnloop.mall"
    detail_type = "RedemptionPlaced"

    order_id: str
    user_id: str
    reward_id: str
    reward_name: str
    quantity: int
    points: int
    status: str
    tags: list[str] = []


class RedemptionStatusChanged(DomainEvent):
    source = "earnloop.mall"
    detail_type = "RedemptionStatusChanged"

    order_id: str
    user_id: str
    reward_id: str
    reward_name: str
    from_status: str
    to_status: str
    points: int


def derive(change: Change) -> list[DomainEvent]:
    """Orders only: rewards, stock shards, coupons, limit counters and idempotency records are the
    mall's own bookkeeping."""
    if change.entity != "Order" or change.new is None:
        return []
    new = change.new
    if change.kind == "INSERT":
        return [RedemptionPlaced.model_validate({**new, "tags": new.get("tags") or []})]
    before = (change.old or {}).get("status")
    if change.kind == "MODIFY" and before is not None and before != new.get("status"):
        return [
            RedemptionStatusChanged.model_validate({**new, "from_status": before, "to_status": new["status"]})
        ]
    return []
