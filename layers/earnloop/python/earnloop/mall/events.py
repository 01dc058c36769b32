"""Events of the mall, derived from its table's stream: an order placed, an order that moved on.

The inbox tells the buyer; the tags worker learns from what they redeem (`tags`).
"""

from __future__ import annotations

from typing import Any

from earnloop.platform.audit import ENTITY as ADMIN_ACTION
from earnloop.platform.audit import derive_recorded
from earnloop.platform.events import Change, DomainEvent
from earnloop.platform.outbox_sweep import PENDING_ENTITY, republished


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


def placed_event(order: dict[str, Any]) -> RedemptionPlaced:
    """The `RedemptionPlaced` of an order item (also copied into its outbox marker)."""
    return RedemptionPlaced.model_validate({**order, "tags": order.get("tags") or []})


def derive(change: Change) -> list[DomainEvent]:
    """Orders and admins' audit records only: rewards, stock shards, coupons, limit counters and
    idempotency records are the mall's own bookkeeping."""
    if change.entity == ADMIN_ACTION:  # an admin's reward edit or order decision (mall/api.py)
        return derive_recorded(change)
    if change.entity == PENDING_ENTITY:
        # An order whose buyer was not told in time: the sweep touched its marker (mall/outbox.py).
        return republished(change, {RedemptionPlaced.detail_type: RedemptionPlaced})
    if change.entity != "Order" or change.new is None:
        return []
    new = change.new
    if change.kind == "INSERT":
        return [placed_event(new)]
    before = (change.old or {}).get("status")
    if change.kind == "MODIFY" and before is not None and before != new.get("status"):
        return [
            RedemptionStatusChanged.model_validate({**new, "from_status": before, "to_status": new["status"]})
        ]
    return []
