"""The posts worker (queue `posts`): moves posts on when their media are processed, learns which
products each user scanned, and clears a removed post's comments and reports. Every step is
idempotent (conditioned writes, deterministic keys), so a redelivered message changes nothing."""

from __future__ import annotations

from earnloop.content.account_erasure import UserDeleted, erase_author
from earnloop.content.erasure_rounds import UserErasureContinued
from earnloop.content.interactions_outbox import EarnArrived, earn_arrived
from earnloop.content.likes_store import LikesStore
from earnloop.content.posts_events import MediaReady, MediaRejected, PostRemoved, ScanClaimed
from earnloop.content.posts_outbox import PointsChanged, post_earned
from earnloop.content.posts_service import apply_media_outcome
from earnloop.content.posts_store import PostsStore
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger
from earnloop.platform.workers import queue_worker


def media_ready(event: MediaReady, store: PostsStore | None = None) -> None:
    update = {
        "status": "ready",
        "moderation": event.moderation,
        "renditions": event.renditions,
        "width": event.width,
        "height": event.height,
        "duration_s": event.duration_s,
    }
    post = apply_media_outcome(store or PostsStore.default(), event.media_id, update, utcnow())
    logger.info("media ready for post", extra={"media_id": event.media_id, "status": post and post.status})


def media_rejected(event: MediaRejected, store: PostsStore | None = None) -> None:
    update = {"status": "rejected", "reason": event.reason}
    post = apply_media_outcome(store or PostsStore.default(), event.media_id, update, utcnow())
    logger.info("media rejected for post", extra={"media_id": event.media_id, "status": post and post.status})


def scan_claimed(event: ScanClaimed, store: PostsStore | None = None) -> None:
    (store or PostsStore.default()).record_scanned_sku(event.user_id, event.sku, event.claimed_at)


def post_removed(event: PostRemoved, store: PostsStore | None = None) -> None:
    deleted = (store or PostsStore.default()).delete_comments_and_reports(event.post_id)
    # Its likes too (the points they earned stay, as a post's comments' do).
    deleted += LikesStore.default().delete_all(event.post_id)
    logger.info("removed post cleared", extra={"post_id": event.post_id, "items": deleted})


def earn_confirmed(event: PointsChanged) -> None:
    """An earn this table waits for arrived: a post's, a like's or a comment's."""
    if not earn_arrived(EarnArrived.model_validate(event.model_dump())):
        post_earned(event)


lambda_handler = queue_worker(
    {
        MediaReady.detail_type: (MediaReady, media_ready),
        MediaRejected.detail_type: (MediaRejected, media_rejected),
        ScanClaimed.detail_type: (ScanClaimed, scan_claimed),
        PostRemoved.detail_type: (PostRemoved, post_removed),
        PointsChanged.detail_type: (PointsChanged, earn_confirmed),
        UserDeleted.detail_type: (UserDeleted, erase_author),
        UserErasureContinued.detail_type: (UserErasureContinued, erase_author),
    }
)
