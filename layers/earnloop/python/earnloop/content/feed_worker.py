"""The feed materializer (`feed_materialize`): post events in, feed items out.

Consumes the posts area's events (published, hidden in any way, commented), the codes context's
`ScanClaimed` (a reader's product tags for `for_you`) and identity's `ProfileChanged` (authors'
nicknames and avatars). Every handler is idempotent (feed_service).
"""

from __future__ import annotations

from functools import partial

from earnloop.codes.events import ScanClaimed
from earnloop.content import feed_service
from earnloop.content.feed_events import CommentAdded, PostHidden, PostPublished, ProfileChanged
from earnloop.content.feed_follows import UserFollowed, UserUnfollowed, on_followed, on_unfollowed
from earnloop.content.feed_models import CardState
from earnloop.content.feed_segments import SegmentChanged, on_segment_changed
from earnloop.content.feed_store import FeedStore
from earnloop.platform.clock import utcnow
from earnloop.platform.workers import Route, queue_worker

feed_store = FeedStore.default


def on_published(event: PostPublished) -> None:
    feed_service.publish(feed_store(), event)


def on_hidden(event: PostHidden, *, state: CardState) -> None:
    feed_service.hide(feed_store(), event, state)


def on_comment(event: CommentAdded) -> None:
    feed_service.count_comment(feed_store(), event, utcnow())


def on_profile(event: ProfileChanged) -> None:
    feed_store().put_author(event.user_id, event.nickname, event.avatar_url, event.updated_at)


def on_scan(event: ScanClaimed) -> None:
    feed_service.learn_scan(feed_store(), event, utcnow())


# What the rules `posts-to-feed`, `scan-claimed-to-feed` and `profile-changed-to-feed`
# (content/context.py) bring here.
ROUTES: dict[str, Route] = {
    "PostPublished": (PostPublished, on_published),
    # Final: the author or an admin deleted it, moderation took it down, or it never passed.
    "PostRemoved": (PostHidden, partial(on_hidden, state="removed")),
    "PostTakenDown": (PostHidden, partial(on_hidden, state="removed")),
    "PostRejected": (PostHidden, partial(on_hidden, state="removed")),
    # Until an admin decides: back in the feeds with the PostPublished of an approval.
    "PostInReview": (PostHidden, partial(on_hidden, state="hidden")),
    "CommentAdded": (CommentAdded, on_comment),
    "ScanClaimed": (ScanClaimed, on_scan),
    "ProfileChanged": (ProfileChanged, on_profile),
    # Identity's follows: the author's follower list a publish fans out to (rule `follows-to-feed`).
    "UserFollowed": (UserFollowed, on_followed),
    "UserUnfollowed": (UserUnfollowed, on_unfollowed),
    # Identity's lifecycle segments: how `for_you` orders a reader's page (rule `segments-to-feed`).
    "SegmentChanged": (SegmentChanged, on_segment_changed),
}

lambda_handler = queue_worker(ROUTES)
