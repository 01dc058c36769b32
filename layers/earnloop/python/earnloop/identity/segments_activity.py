"""`profile_tags` handlers for the activity events the lifecycle segments count: each names the
acting user, the activity's kind, an id that is the same on every redelivery, and its time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.identity.segments_service import record_activity, thresholds
from earnloop.identity.segments_worker import segments_store
from earnloop.platform.clock import parse_iso, utcnow
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.codes.events import ScanClaimed
    from earnloop.identity.consumed_events import PostPublished, RedemptionPlaced
    from earnloop.identity.events import UserRegistered
    from earnloop.identity.segments_events import CheckedIn, CommentAdded, PostLiked, UserFollowed
    from earnloop.identity.segments_rules import ActivityKind


def _record(user_id: str, kind: ActivityKind, ref: str, at: str, points: int = 0) -> None:
    limits = thresholds(get_settings())
    record_activity(segments_store(), user_id, kind, ref, parse_iso(at), utcnow(), limits, points)


def registered(event: UserRegistered) -> None:
    _record(event.user_id, "register", event.user_id, event.created_at)


def scanned(event: ScanClaimed) -> None:
    # A scan's points are the brand's sales, in points: the monetary side of RFM.
    _record(event.user_id, "scan", event.code, event.claimed_at, event.points)


def redeemed(event: RedemptionPlaced) -> None:
    _record(event.user_id, "redeem", event.order_id, event.occurred_at, event.points)


def posted(event: PostPublished) -> None:
    # Keyed by post: a post published again after a review is not a second activity.
    _record(event.author_id, "post", event.post_id, event.published_at)


def commented(event: CommentAdded) -> None:
    _record(event.author_id, "comment", event.comment_id, event.occurred_at)


def liked(event: PostLiked) -> None:
    _record(event.user_id, "like", event.post_id, event.liked_at)


def checked_in(event: CheckedIn) -> None:
    _record(event.user_id, "checkin", event.day, event.occurred_at)


def followed(event: UserFollowed) -> None:
    _record(event.follower_id, "follow", event.followee_id, event.followed_at)
