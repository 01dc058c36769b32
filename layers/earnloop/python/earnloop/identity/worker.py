"""Queue workers of the identity context: `profile_tags` counts product and reward tags on profiles
and the activity that lifecycle segments are made of (identity/segments_activity.py)."""

from __future__ import annotations

from earnloop.codes.events import ScanClaimed
from earnloop.identity import erasure, service
from earnloop.identity import segments_activity as activity
from earnloop.identity.consumed_events import PostPublished, RedemptionPlaced, TierChanged
from earnloop.identity.erasure_store import ErasureStore
from earnloop.identity.events import IdentityErasureContinued, UserDeleted, UserRegistered
from earnloop.identity.segments_events import CheckedIn, CommentAdded, PostLiked, UserFollowed
from earnloop.identity.store import IdentityStore
from earnloop.identity.tiers import record_tier
from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker


def identity_store() -> IdentityStore:
    return IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))


def count_scan_tags(event: ScanClaimed) -> None:
    """`profile_tags`: a claimed scan's product tags count towards its scanner's profile, and the
    scan towards their lifecycle segment."""
    service.record_scan_tags(identity_store(), event)
    activity.scanned(event)


def count_redemption_tags(event: RedemptionPlaced) -> None:
    """`profile_tags`: a redeemed reward's tags count towards its buyer's profile, and the
    redemption towards their lifecycle segment."""
    service.record_redemption_tags(identity_store(), event)
    activity.redeemed(event)


def show_tier(event: TierChanged) -> None:
    """`profile_tags`: a promotion's tier goes on the profile (`/v1/me`, login)."""
    record_tier(identity_store(), event)


def erase_deleted_user(event: UserDeleted | IdentityErasureContinued) -> None:
    """`profile_tags`: a deleted account's tags, guards, inbox, grants and follows are erased (in
    rounds for thousands of follows)."""
    erasure.erase(ErasureStore(aws.dynamodb(), get_settings().table_name("identity")), event)


lambda_handler = queue_worker(
    {
        "ScanClaimed": (ScanClaimed, count_scan_tags),
        "RedemptionPlaced": (RedemptionPlaced, count_redemption_tags),
        "TierChanged": (TierChanged, show_tier),
        "UserRegistered": (UserRegistered, activity.registered),
        "PostPublished": (PostPublished, activity.posted),
        "CommentAdded": (CommentAdded, activity.commented),
        "PostLiked": (PostLiked, activity.liked),
        "CheckedIn": (CheckedIn, activity.checked_in),
        "UserFollowed": (UserFollowed, activity.followed),
        "UserDeleted": (UserDeleted, erase_deleted_user),
        "IdentityErasureContinued": (IdentityErasureContinued, erase_deleted_user),
    }
)
