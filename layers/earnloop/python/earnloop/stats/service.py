"""Use cases of the stats context: count an event once, read a range of days, build the
leaderboard. Dependencies are passed in; keys live in `store.py`, rules in `rules.py`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError, ValidationFailedError
from earnloop.platform.observability import logger, metrics
from earnloop.stats.rules import (
    ALL_TIME,
    BOARD_SHARDS,
    BOARD_SIZE,
    DEFAULT_NICKNAME,
    MAX_RANGE_DAYS,
    STATS_SHARDS,
    DayRow,
    Standing,
    Tally,
    business_month,
    day_rows,
    guard_expiry,
    rank,
)
from earnloop.stats.store import DAY_PREFIX, TOTAL, AlreadyCountedError, StatsStore

if TYPE_CHECKING:
    from datetime import datetime

# Counter -> the CloudWatch metric emitted with the amount it was counted with.
METRICS = {
    "issued": "StatsPointsIssued",
    "spent": "StatsPointsSpent",
    "expired": "StatsPointsExpired",
    "refunded": "StatsPointsRefunded",
    "adjusted": "StatsPointsAdjusted",
    "scans_accepted": "StatsScansAccepted",
    "posts": "StatsPostsPublished",
    "likes": "StatsLikes",
}
ATTEMPTS = 4


def count(store: StatsStore, tally: Tally, now: datetime) -> bool:
    """Counts `tally` exactly once (False when its guard shows it was counted before).

    A lost race on a busy shard row moves the count to the next shard: the guard, not the shard,
    makes it once, and any shard of the day adds up the same.

    Raises:
        ConcurrencyError: every attempt met a concurrent transaction (SQS delivers it again).
    """
    for attempt in range(ATTEMPTS):
        shard = (tally.shard + attempt) % STATS_SHARDS
        try:
            store.count(tally, shard, guard_expiry(now), iso(now))
        except AlreadyCountedError:
            logger.info("event counted before", extra={"natural_id": tally.natural_id})
            return False
        except TransactionConflictError:
            continue
        for counter, amount in tally.counters.items():
            if counter in METRICS and amount:
                metrics.add_metric(name=METRICS[counter], unit=MetricUnit.Count, value=amount)
        return True
    raise ConcurrencyError("statistics are busy, please retry")


def stats_range(store: StatsStore, first: date, last: date) -> list[DayRow]:
    """The rows of `first`..`last` (inclusive): one query per counter shard, each reading the
    shard's days from `first` on and its running total.

    Raises:
        ValidationFailedError: `last` before `first`, or more than `MAX_RANGE_DAYS` days.
    """
    if last < first:
        raise ValidationFailedError("to is before from")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailedError(f"at most {MAX_RANGE_DAYS} days per request")
    days: list[tuple[date, dict[str, object]]] = []
    total = 0
    for shard in range(STATS_SHARDS):
        for item in store.shard_days(shard, first):
            if item["sk"] == TOTAL:
                total += int(item.get("net", 0))
            else:
                days.append((date.fromisoformat(str(item["sk"]).removeprefix(DAY_PREFIX)), item))
    return day_rows(first, last, days, total)


def period_of(period: str, now: datetime) -> str:
    """The stored period of a board: the current business month, or all time."""
    return business_month(now) if period == "month" else ALL_TIME


def build_board(store: StatsStore, period: str, now: datetime, size: int = BOARD_SIZE) -> list[Standing]:
    """Merges the top of every board shard into the period's board and stores it.

    Each shard gives its top `size` plus room for users who opted out; the merge keeps the top
    `size` of those who show. If more than the room opted out in one shard, a shown user with
    fewer points may be missed until the next minute's build reads past them: the room is sized
    so that is rare, and a board is a display, not a ledger."""
    room = size + size // 2
    scores: dict[str, int] = {}
    for shard in range(BOARD_SHARDS):
        scores.update(store.top_of_shard(period, shard, room))
    profiles = store.profiles(list(scores))
    candidates = [
        Standing(user_id, str(profiles.get(user_id, {}).get("nickname") or DEFAULT_NICKNAME), points)
        for user_id, points in scores.items()
        if profiles.get(user_id, {}).get("visible", True)
    ]
    board = rank(candidates, size)
    store.put_board(period, board, iso(now))
    logger.info(
        "leaderboard built", extra={"period": period, "entries": len(board), "candidates": len(scores)}
    )
    return board
