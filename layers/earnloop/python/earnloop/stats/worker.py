"""The stats worker (queue `stats`): counts each event once into the day's sharded counters, adds
earns to the earner's leaderboard scores, and keeps the nicknames and opt-outs boards show."""

from __future__ import annotations

from datetime import date

from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger
from earnloop.platform.workers import queue_worker
from earnloop.stats import service
from earnloop.stats.events import (
    PointsChanged,
    PostLiked,
    PostPublished,
    ProfileChanged,
    ScanClaimed,
    ScanRejectionsCounted,
    UserDeleted,
)
from earnloop.stats.rules import one, points_tally
from earnloop.stats.store import StatsStore


def count_points(event: PointsChanged, store: StatsStore | None = None) -> None:
    """Issued, spent, expired, refunded, adjusted and the net of a ledger entry; an earn also
    raises the earner's monthly and all-time scores. Freezes and unfreezes move nothing."""
    tally = points_tally(event.txn_id, event.user_id, event.entry_type, event.delta, event.created_at)
    if tally is None:
        logger.info("points change counts nothing", extra={"entry_type": event.entry_type})
        return
    service.count(store or StatsStore.default(), tally, utcnow())


def count_scan(event: ScanClaimed, store: StatsStore | None = None) -> None:
    # A claim republished by the sweep carries the same scan id: counted once.
    service.count(
        store or StatsStore.default(),
        one("scans_accepted", f"scan#{event.scan_id}", event.claimed_at),
        utcnow(),
    )


def count_post(event: PostPublished, store: StatsStore | None = None) -> None:
    # A post approved after a review is published again: still one post, on its first day.
    service.count(
        store or StatsStore.default(), one("posts", f"post#{event.post_id}", event.published_at), utcnow()
    )


def count_like(event: PostLiked, store: StatsStore | None = None) -> None:
    # Each like counts (an unlike and a new like is a second like); a redelivery carries the same time.
    natural_id = f"like#{event.post_id}#{event.user_id}#{event.liked_at}"
    service.count(store or StatsStore.default(), one("likes", natural_id, event.liked_at), utcnow())


def count_rejections(event: ScanRejectionsCounted, store: StatsStore | None = None) -> None:
    raised = (store or StatsStore.default()).set_rejected(
        date.fromisoformat(event.day), event.reason, event.shard, event.count
    )
    if not raised:
        logger.info("rejection count was not newer", extra={"reason": event.reason, "shard": event.shard})


def keep_profile(event: ProfileChanged, store: StatsStore | None = None) -> None:
    kept = (store or StatsStore.default()).put_profile(
        event.user_id, event.nickname, event.leaderboard_visible, event.updated_at
    )
    if not kept:
        logger.info("older profile ignored", extra={"user_id": event.user_id})


def forget_profile(event: UserDeleted, store: StatsStore | None = None) -> None:
    """A deleted account: the nickname is dropped and the user hidden from boards, as the newest
    profile (a profile change of before the deletion, arriving late, is older and ignored)."""
    (store or StatsStore.default()).put_profile(event.user_id, None, False, event.deleted_at)


lambda_handler = queue_worker(
    {
        PointsChanged.detail_type: (PointsChanged, count_points),
        ScanClaimed.detail_type: (ScanClaimed, count_scan),
        PostPublished.detail_type: (PostPublished, count_post),
        PostLiked.detail_type: (PostLiked, count_like),
        ScanRejectionsCounted.detail_type: (ScanRejectionsCounted, count_rejections),
        ProfileChanged.detail_type: (ProfileChanged, keep_profile),
        UserDeleted.detail_type: (UserDeleted, forget_profile),
    }
)
