"""Pure rules of statistics and the leaderboard: what an event counts, where it is written, how a
day's row and a board are assembled. No boto3, no clock reads.

Sharding (arithmetic in docs/decisions.md, "Statistics and the leaderboard"): every counted event
lands on one of `STATS_SHARDS` counter partitions, chosen by a hash of its natural id, so a
redelivery lands where the first delivery did and no partition takes more than its share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.platform.clock import business_day, parse_iso

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

STATS_SHARDS = 32
BOARD_SHARDS = 16
BOARD_SIZE = 100
# Longest `from`..`to` range of one stats request (a quarter).
MAX_RANGE_DAYS = 92
# How long a "counted" guard is kept: longer than SQS retention (4 days) plus the DLQ's (14) plus
# a redrive, so any redelivery still finds it. TTL deletion is lazy; that only keeps it longer.
GUARD_DAYS = 35
ALL_TIME = "all"
# Shown for a user who never set a nickname (the WeChat default wording).
DEFAULT_NICKNAME = "微信用户"

# Ledger entry types and the counter each adds its points to (as a positive amount, except
# `adjusted`, which keeps its sign). Freeze and unfreeze move no points and count nothing.
ENTRY_COUNTERS = {
    "earn": "issued",
    "spend": "spent",
    "expire": "expired",
    "refund": "refunded",
    "adjust": "adjusted",
}
COUNTERS = (
    "issued",
    "spent",
    "expired",
    "refunded",
    "adjusted",
    "net",
    "scans_accepted",
    "posts",
    "likes",
)
REJECTED_PREFIX = "rej#"


def shard_of(natural_id: str, shards: int) -> int:
    """A stable, evenly spread shard for an id (the same on every redelivery)."""
    digest = hashlib.blake2b(natural_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def day_of(moment: str) -> date:
    """The business day (Asia/Shanghai) of a stored UTC timestamp."""
    return business_day(parse_iso(moment))


def month_of(moment: str) -> str:
    """The business month (Asia/Shanghai) of a stored UTC timestamp, `YYYY-MM`."""
    return business_month(parse_iso(moment))


def business_month(moment: datetime) -> str:
    return business_day(moment).strftime("%Y-%m")


@dataclass(frozen=True)
class Tally:
    """What one event adds: counter increments on its day's row, and (earns) leaderboard points."""

    natural_id: str
    day: date
    counters: dict[str, int]
    # The earner and the business month of an earn: both of their scores grow by `score`.
    scorer: str | None = None
    month: str | None = None
    score: int = 0

    @property
    def shard(self) -> int:
        return shard_of(self.natural_id, STATS_SHARDS)


def points_tally(txn_id: str, user_id: str, entry_type: str, delta: int, created_at: str) -> Tally | None:
    """A ledger entry's counts. `net` is the signed delta (outstanding moves by it); `issued`
    counts earns only: a refund gives back points spent, it issues none (it is `refunded`)."""
    counter = ENTRY_COUNTERS.get(entry_type)
    if counter is None:
        return None
    amount = delta if counter == "adjusted" else abs(delta)
    earn = entry_type == "earn"
    return Tally(
        natural_id=f"txn#{user_id}#{txn_id}",
        day=day_of(created_at),
        counters={counter: amount, "net": delta},
        scorer=user_id if earn else None,
        month=month_of(created_at) if earn else None,
        score=delta if earn else 0,
    )


def one(counter: str, natural_id: str, moment: str) -> Tally:
    return Tally(natural_id=natural_id, day=day_of(moment), counters={counter: 1})


def board_shard(user_id: str) -> int:
    return shard_of(user_id, BOARD_SHARDS)


def guard_expiry(now: datetime) -> int:
    return int((now + timedelta(days=GUARD_DAYS)).timestamp())


# Reading: the rows of a range


@dataclass
class DayRow:
    day: date
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    rejected: dict[str, int] = field(default_factory=dict)
    outstanding: int = 0

    @property
    def consumption_rate(self) -> float | None:
        """Points spent net of refunds per point issued that day (None when none was issued)."""
        issued = self.counters["issued"]
        if issued <= 0:
            return None
        return round((self.counters["spent"] - self.counters["refunded"]) / issued, 4)


def add_counters(row: DayRow, item: Mapping[str, object]) -> None:
    """Adds one shard's day item to the day's row (counters and rejections by reason, whatever
    the codes shard that counted them: `rej#<reason>#<codes shard>`)."""
    for name in COUNTERS:
        value = item.get(name)
        if isinstance(value, int):
            row.counters[name] += value
    for name, value in item.items():
        if name.startswith(REJECTED_PREFIX) and isinstance(value, int):
            reason = name[len(REJECTED_PREFIX) :].rpartition("#")[0]
            row.rejected[reason] = row.rejected.get(reason, 0) + value


def day_rows(
    first: date, last: date, days: Iterable[tuple[date, Mapping[str, object]]], total_net: int
) -> list[DayRow]:
    """Rows for every day of `first`..`last` from the shard items of the days from `first` on
    (including days after `last`) and the sum of every shard's running net (`total_net`).

    Outstanding at the end of a day = the running net of all time minus what the days after it
    added: the total item and the day items are written in one transaction per event, so they
    agree whatever order the events arrived in.
    """
    by_day: dict[date, DayRow] = {}
    for day, item in days:
        row = by_day.setdefault(day, DayRow(day))
        add_counters(row, item)
    rows = []
    later_net = sum(row.counters["net"] for day, row in by_day.items() if day > last)
    outstanding = total_net - later_net
    day = last
    while day >= first:
        row = by_day.get(day) or DayRow(day)
        row.outstanding = outstanding
        outstanding -= row.counters["net"]
        rows.append(row)
        day -= timedelta(days=1)
    rows.reverse()
    return rows


# The board


@dataclass(frozen=True)
class Standing:
    user_id: str
    nickname: str
    points: int
    rank: int = 0


def rank(candidates: Sequence[Standing], size: int = BOARD_SIZE) -> list[Standing]:
    """The top `size` by points, ties sharing a rank (1, 2, 2, 4: competition ranking) and listed
    by nickname then user id, so a board reads the same on every build. Zero scores are left out.

    When ties straddle the cut, the board ends at `size` entries: a tie for the last place is
    shown as far as there is room (the order inside a tie is only the nickname's)."""
    ordered = sorted(
        (c for c in candidates if c.points > 0), key=lambda c: (-c.points, c.nickname, c.user_id)
    )[:size]
    ranked: list[Standing] = []
    for position, standing in enumerate(ordered, start=1):
        same = ranked and ranked[-1].points == standing.points
        ranked.append(
            Standing(
                standing.user_id, standing.nickname, standing.points, ranked[-1].rank if same else position
            )
        )
    return ranked
