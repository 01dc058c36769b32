"""Expiry reminders: once a day (10:00 Asia/Shanghai) every account with points whose last valid day
falls within the next `expiry_reminder_days` business days is told once per expiry date.

The run reuses the expiry fan-out (docs/decisions.md, 2026-12-02): one `ReminderPiece` per (index
date, shard) of the `by_expiry` index, for the window's dates only, on the `expiry` queue. For each
account of a piece, one conditional write per expiry date in the window puts `REMIND#<date>` with the
points then due; its stream record derives `PointsExpiringSoon`. A rerun, a redelivered or an
overlapping piece finds the item there and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from earnloop.platform.clock import business_day
from earnloop.platform.observability import logger
from earnloop.points.expiry_job import PAGE_SIZE, RESERVE_MS

if TYPE_CHECKING:
    from collections.abc import Callable

    from earnloop.points.store import PointsStore

# A reminder item outlives its expiry date by this much (TTL), then DynamoDB deletes it.
REMINDER_KEEP = timedelta(days=30)


class ReminderPiece(BaseModel):
    """The accounts whose earliest bucket's last valid day is `due`, in one shard of the index; each
    is reminded of every bucket whose last valid day is within `on`..`until`. `after`: resume after
    this user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["remind"] = "remind"
    due: date
    shard: NonNegativeInt
    on: date
    until: date
    after: str | None = None


@dataclass(frozen=True)
class ReminderResult:
    reminded: int
    rest: ReminderPiece | None


def plan_reminders(now: datetime, shards: int, days: int) -> list[ReminderPiece]:
    """The pieces of the run at `now`: every shard of each index date from today through the last
    day of the window (points valid through today expire at 00:10 tomorrow, so a window of 3 days
    covers today and the next two). Reads grow with the accounts due, never with all accounts."""
    on = business_day(now)
    until = on + timedelta(days=days - 1)
    return [
        ReminderPiece(due=on + timedelta(days=ahead), shard=shard, on=on, until=until)
        for ahead in range(days)
        for shard in range(shards)
    ]


def remind_piece(piece: ReminderPiece, store: PointsStore, time_left_ms: Callable[[], int]) -> ReminderResult:
    """Reminds every account of the piece, a page at a time, until done or short of time (after at
    least one account, so each invocation makes progress)."""
    after, reminded, worked = piece.after, 0, False
    while True:
        users, more = store.accounts_due_page(piece.due, piece.shard, after=after, limit=PAGE_SIZE)
        for user_id in users:
            if worked and time_left_ms() < RESERVE_MS:
                return ReminderResult(reminded, piece.model_copy(update={"after": after}))
            account = store.account(user_id)
            for expires_on, points in sorted(account.buckets.items()):
                if piece.on <= expires_on <= piece.until and points > 0:
                    keep = datetime.combine(expires_on + REMINDER_KEEP, time(), tzinfo=UTC)
                    if store.put_reminder(user_id, expires_on, points, int(keep.timestamp())):
                        reminded += 1
            logger.debug("account reminded", extra={"user_id": user_id})
            after, worked = user_id, True
        if not more or not users:
            return ReminderResult(reminded, None)
