"""The tier a user shows on `/v1/me` and at login: the points context decides promotions and
publishes `TierChanged`; identity keeps the latest on the profile (the `profile_tags` worker)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from earnloop.identity.consumed_events import TierChanged


class TierStore(Protocol):
    def set_tier(self, user_id: str, tier: str, lifetime_earned: int, changed_at: str) -> bool: ...


def record_tier(store: TierStore, event: TierChanged) -> bool:
    """Puts the promoted tier on the user's profile, unless a higher promotion got there first (or
    this one did: a redelivery). Returns whether the profile changed."""
    changed = store.set_tier(event.user_id, event.to_tier, event.lifetime_earned, event.changed_at)
    extra = {"user_id": event.user_id, "to_tier": event.to_tier, "lifetime_earned": event.lifetime_earned}
    logger.info(
        "tier shown on the profile" if changed else "tier promotion already shown or superseded", extra=extra
    )
    return changed
