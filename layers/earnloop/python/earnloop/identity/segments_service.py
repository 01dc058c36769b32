"""Use cases of lifecycle segments: counting an activity, moving a user whose segment ran out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from earnloop.identity.rules import scan_guard_expiry
from earnloop.identity.segments_rules import (
    ActivityKind,
    IndexEntry,
    Lifecycle,
    Rfm,
    Segment,
    Thresholds,
    apply_activity,
    index_entry,
    rfm_of,
    segment_of,
)
from earnloop.identity.segments_store import ActivityCountedError, LifecycleMovedError
from earnloop.platform.clock import business_day, iso
from earnloop.platform.errors import ConcurrencyError
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from datetime import date, datetime

    from earnloop.platform.settings import Settings

# An activity that keeps colliding with others of the same user (or the daily move) is retried by SQS.
ATTEMPTS = 4


class SegmentsRepository(Protocol):
    def lifecycle(self, user_id: str) -> Lifecycle | None: ...
    def record_activity(
        self,
        before: Lifecycle,
        after: Lifecycle,
        segment: Segment,
        rfm: Rfm,
        entry: IndexEntry | None,
        *,
        kind: str,
        ref: str,
        at: str,
        guard_expires_at: int,
    ) -> None: ...
    def move(
        self, state: Lifecycle, segment: Segment, rfm: Rfm, entry: IndexEntry | None, now: str
    ) -> bool: ...


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        new_days=settings.segment_new_days,
        at_risk_days=settings.segment_at_risk_days,
        sleeping_days=settings.segment_sleeping_days,
    )


def record_activity(
    store: SegmentsRepository,
    user_id: str,
    kind: ActivityKind,
    ref: str,
    at: datetime,
    now: datetime,
    limits: Thresholds,
    points: int = 0,
) -> bool:
    """Counts one activity of `user_id` (`ref` names it within its kind) at most once, and puts the
    user in the segment it leaves them in. Returns whether it was counted (False: a redelivery, or
    a user that does not exist).

    Raises:
        ConcurrencyError: the user's lifecycle kept changing under us (SQS retries the event).
    """
    today = business_day(now)
    for _ in range(ATTEMPTS):
        before = store.lifecycle(user_id)
        if before is None:
            logger.warning("activity of an unknown user ignored", extra={"user_id": user_id, "kind": kind})
            return False
        after = apply_activity(before, kind, at, points)
        segment = segment_of(after, today, limits)
        try:
            store.record_activity(
                before,
                after,
                segment,
                rfm_of(after, today),
                index_entry(after, segment),
                kind=kind,
                ref=ref,
                at=iso(now),
                guard_expires_at=scan_guard_expiry(now),
            )
        except ActivityCountedError:
            logger.info("activity already counted", extra={"user_id": user_id, "kind": kind})
            return False
        except LifecycleMovedError:
            continue
        if segment != before.segment:
            logger.info(
                "segment changed by activity",
                extra={"user_id": user_id, "from": before.segment, "to": segment, "kind": kind},
            )
        return True
    raise ConcurrencyError("the user's lifecycle kept changing, retry")


def move_if_due(
    store: SegmentsRepository, state: Lifecycle, today: date, now: datetime, limits: Thresholds
) -> Segment | None:
    """Moves a user found in the activity index to the segment they are in on business day `today`
    (the run's); returns the new segment, or None when they stay (a rerun) or an activity moved them
    meanwhile."""
    segment = segment_of(state, today, limits)
    if segment == state.segment:
        return None
    moved = store.move(state, segment, rfm_of(state, today), index_entry(state, segment), iso(now))
    return segment if moved else None
