"""The buyer was told of their order: `RedemptionNoted`, derived from the inbox guard of the order's
`placed` note, so the mall can confirm its outbox marker (mall/outbox.py)."""

from __future__ import annotations

import re

from earnloop.platform.events import Change, DomainEvent

# The guard `identity.notifications_store.guard_key(user, "order#<id>#placed")`.
_PLACED_GUARD = re.compile(r"SEEN#notify#order#(?P<order_id>[^#]+)#placed")


class RedemptionNoted(DomainEvent):
    source = "earnloop.identity"
    detail_type = "RedemptionNoted"

    order_id: str
    user_id: str


def derive_redemption_noted(change: Change) -> list[DomainEvent]:
    """`RedemptionNoted` when the inbox first records an order's `placed` note (a redelivered
    `RedemptionPlaced` writes no new guard, so nothing more)."""
    if change.entity != "NotificationSeen" or change.kind != "INSERT" or change.new is None:
        return []
    found = _PLACED_GUARD.fullmatch(str(change.new.get("sk", "")))
    if found is None:
        return []
    return [RedemptionNoted(order_id=found["order_id"], user_id=change.new["user_id"])]
