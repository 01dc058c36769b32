"""The daily segment move, cut into pieces: one piece is one (index date, segment, shard) of the
`by_activity` index whose users cross a threshold on the run's business day, carried by one message
of the `segments` queue, as the points expiry is (docs/decisions.md, 2026-12-02).

`plan_pieces` is the schedule's fan-out; `move_piece` the worker's loop. Each user is moved by one
conditional update (their lifecycle version), so a redelivered, resumed or overlapping piece moves
nobody twice, and an activity that lands meanwhile wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from earnloop.identity.segments_rules import Segment, Thresholds, crossings
from earnloop.identity.segments_service import move_if_due
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from earnloop.identity.segments_store import SegmentsStore

SEGMENTS_QUEUE = "segments"
PAGE_SIZE = 100
# Stop taking users when less than this is left of the invocation: room for the message that
# resumes the piece.
RESERVE_MS = 10_000


class SegmentPiece(BaseModel):
    """Users under index date `day` in `segment` (None: in any), shard `shard`, moved as of business
    day `on`; `after`: resume after this index sort key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: date
    segment: Segment | None
    shard: NonNegativeInt
    on: date
    after: str | None = None


@dataclass(frozen=True)
class PieceResult:
    moved: dict[Segment, int]
    rest: SegmentPiece | None


def plan_pieces(on: date, shards: int, limits: Thresholds) -> list[SegmentPiece]:
    """Every shard of every partition that crosses a threshold on business day `on`."""
    return [
        SegmentPiece(day=crossing.day, segment=crossing.segment, shard=shard, on=on)
        for crossing in crossings(on, limits)
        for shard in range(shards)
    ]


def move_piece(
    piece: SegmentPiece,
    store: SegmentsStore,
    limits: Thresholds,
    now: datetime,
    time_left_ms: Callable[[], int],
) -> PieceResult:
    """Moves every user of the piece whose segment changed, a page at a time, until done or less
    than `RESERVE_MS` is left (after at least one user, so each invocation makes progress)."""
    after, worked = piece.after, False
    moved: dict[Segment, int] = {}
    while True:
        users, more = store.crossing_page(piece.day, piece.segment, piece.shard, after=after, limit=PAGE_SIZE)
        for sort_key, state in users:
            if worked and time_left_ms() < RESERVE_MS:
                return PieceResult(moved, piece.model_copy(update={"after": after}))
            segment = move_if_due(store, state, piece.on, now, limits)
            if segment is not None:
                moved[segment] = moved.get(segment, 0) + 1
                logger.debug("segment moved", extra={"user_id": state.user_id, "to": segment})
            after, worked = sort_key, True
        if not more or not users:
            return PieceResult(moved, None)
