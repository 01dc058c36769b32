"""The daily points expiry, cut into pieces: one piece is one (due date, shard) of the `by_expiry`
index, carried by one message of the `expiry` queue (docs/decisions.md, 2026-12-02).

`plan_pieces` is the schedule's fan-out; `expire_piece` is the worker's loop. Each account due is
expired by `Ledger.expire` with the txn id `expire#<user>#<on>` and a version condition, so a
redelivered, resumed or overlapping piece expires nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from earnloop.platform.clock import business_day
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from earnloop.points.service import Ledger
    from earnloop.points.store import PointsStore

EXPIRY_QUEUE = "expiry"
# Each run also looks at the index dates of the days before yesterday: a run that was missed (or
# whose pieces all failed) is caught up by the next ones. An index partition with nothing left in it
# costs one empty query.
LOOKBACK_DAYS = 7
PAGE_SIZE = 100
# Stop taking accounts when less than this is left of the invocation: room for one more account's
# retries and the message that resumes the piece.
RESERVE_MS = 10_000


class ExpiryPiece(BaseModel):
    """One piece of a run: the accounts whose earliest bucket's last valid day is `due`, in one
    shard of the index; buckets before business day `on` expire. `after`: resume after this user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due: date
    shard: NonNegativeInt
    on: date
    after: str | None = None


@dataclass(frozen=True)
class PieceResult:
    expired: int
    points: int
    # The rest of the piece, to send again, when the invocation ran short of time.
    rest: ExpiryPiece | None


def plan_pieces(now: datetime, shards: int, lookback_days: int = LOOKBACK_DAYS) -> list[ExpiryPiece]:
    """The pieces of the run at `now`: every shard of each of the `lookback_days` index dates before
    its business day, yesterday first (points are valid through their last day, so the run of
    2027-01-01 expires what was valid through 2026-12-31)."""
    on = business_day(now)
    return [
        ExpiryPiece(due=on - timedelta(days=back), shard=shard, on=on)
        for back in range(1, lookback_days + 1)
        for shard in range(shards)
    ]


def expire_piece(
    piece: ExpiryPiece,
    store: PointsStore,
    ledger: Ledger,
    now: datetime,
    time_left_ms: Callable[[], int],
) -> PieceResult:
    """Expires every account of the piece, a page at a time, until it is done or less than
    `RESERVE_MS` is left (after at least one account, so each invocation makes progress).

    Raises:
        ConcurrencyError: an account stayed busy through every retry (SQS redelivers the piece).
    """
    after, expired, points, worked = piece.after, 0, 0, False
    while True:
        users, more = store.accounts_due_page(piece.due, piece.shard, after=after, limit=PAGE_SIZE)
        for user_id in users:
            if worked and time_left_ms() < RESERVE_MS:
                return PieceResult(expired, points, piece.model_copy(update={"after": after}))
            outcome = ledger.expire(user_id, piece.on, now)
            if outcome.status == "applied" and outcome.entry is not None:
                expired += 1
                points -= outcome.entry.delta
            logger.debug("account expiry", extra={"user_id": user_id, "outcome": outcome.status})
            after, worked = user_id, True
        if not more or not users:
            return PieceResult(expired, points, None)
