"""Queue workers of the identity context."""

from __future__ import annotations

from earnloop.codes.events import ScanClaimed
from earnloop.identity import service
from earnloop.identity.consumed_events import RedemptionPlaced, TierChanged
from earnloop.identity.store import IdentityStore
from earnloop.identity.tiers import record_tier
from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker


def identity_store() -> IdentityStore:
    return IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))


def count_scan_tags(event: ScanClaimed) -> None:
    """`profile_tags`: a claimed scan's product tags count towards its scanner's profile."""
    service.record_scan_tags(identity_store(), event)


def count_redemption_tags(event: RedemptionPlaced) -> None:
    """`profile_tags`: a redeemed reward's tags count towards its buyer's profile."""
    service.record_redemption_tags(identity_store(), event)


def show_tier(event: TierChanged) -> None:
    """`profile_tags`: a promotion's tier goes on the profile (`/v1/me`, login)."""
    record_tier(identity_store(), event)


lambda_handler = queue_worker(
    {
        "ScanClaimed": (ScanClaimed, count_scan_tags),
        "RedemptionPlaced": (RedemptionPlaced, count_redemption_tags),
        "TierChanged": (TierChanged, show_tier),
    }
)
