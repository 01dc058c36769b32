"""Pure rules of lifecycle segments and RFM scores: no I/O, no clock reads (`now` is passed in).

Segments, by Asia/Shanghai business days:
    new       registered fewer than `new_days` days ago and no scan yet
    sleeping  `sleeping_days` or more days since the last activity
    at_risk   `at_risk_days` or more days since the last activity
    active    everyone else
(first match wins; `new_days` < `at_risk_days` < `sleeping_days`, so a new user is never idle enough
to be anything else).

RFM scores, 1 (low) to 5 (high), each from one attribute the activity events keep on the user:
    recency    days since the last activity: < 7 -> 5, < 14 -> 4, < 30 -> 3, < 90 -> 2, else 1
    frequency  activities counted (scans, posts, comments, likes, check-ins, redemptions, follows):
               >= 50 -> 5, >= 20 -> 4, >= 8 -> 3, >= 3 -> 2, else 1
    monetary   points volume (points of claimed scans plus points of redemptions placed):
               >= 5,000 -> 5, >= 2,000 -> 4, >= 500 -> 3, >= 100 -> 2, else 1
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from earnloop.platform.clock import business_day, iso, parse_iso

Segment = Literal["new", "active", "at_risk", "sleeping"]
ActivityKind = Literal["register", "scan", "post", "comment", "like", "checkin", "redeem", "follow"]
# Registering makes a user known (and starts the `new` days) but is not a repeat visit.
COUNTED: frozenset[str] = frozenset({"scan", "post", "comment", "like", "checkin", "redeem", "follow"})

# Ascending bounds: a value at or above the n-th bound scores n + 1 (recency counts down instead).
RECENCY_DAYS = (7, 14, 30, 90)
FREQUENCY_COUNTS = (3, 8, 20, 50)
MONETARY_POINTS = (100, 500, 2000, 5000)

# The daily move also looks at the index dates of the days before each crossing date, so a missed
# run is caught up by the next ones (an empty index partition costs one query).
LOOKBACK_DAYS = 3


@dataclass(frozen=True)
class Thresholds:
    new_days: int = 7
    at_risk_days: int = 30
    sleeping_days: int = 90

    def __post_init__(self) -> None:
        if not 0 < self.new_days < self.at_risk_days < self.sleeping_days:
            raise ValueError("segment thresholds ascend: new < at_risk < sleeping days")


class Rfm(BaseModel):
    model_config = ConfigDict(frozen=True)

    r: int
    f: int
    m: int


@dataclass(frozen=True)
class Lifecycle:
    """What the segment and RFM scores of a user are computed from, as kept on the user item."""

    user_id: str
    created_at: str
    last_active_at: str | None = None
    first_scan_at: str | None = None
    activity_count: int = 0
    points_volume: int = 0
    segment: Segment | None = None
    segment_since: str | None = None
    # Optimistic lock of these attributes: the activity worker and the daily move both condition on it.
    version: int = 0


@dataclass(frozen=True)
class IndexEntry:
    """Where the user sits in the sparse activity index: partition date and sort-key segment."""

    day: date
    segment: Segment


def _later(a: str | None, b: datetime) -> str:
    return iso(b) if a is None or parse_iso(a) < b else a


def _earlier(a: str | None, b: datetime) -> str:
    return iso(b) if a is None or parse_iso(a) > b else a


def apply_activity(state: Lifecycle, kind: ActivityKind, at: datetime, points: int = 0) -> Lifecycle:
    """The user's lifecycle attributes after one activity at `at` (arrival order does not matter:
    the last activity only moves forward, the first scan only backward)."""
    return replace(
        state,
        last_active_at=_later(state.last_active_at, at),
        first_scan_at=_earlier(state.first_scan_at, at) if kind == "scan" else state.first_scan_at,
        activity_count=state.activity_count + (1 if kind in COUNTED else 0),
        points_volume=state.points_volume + max(points, 0),
    )


def idle_days(state: Lifecycle, today: date) -> int:
    """Business days since the last activity (registering counts as one)."""
    return (today - business_day(parse_iso(state.last_active_at or state.created_at))).days


def segment_of(state: Lifecycle, today: date, thresholds: Thresholds) -> Segment:
    registered = business_day(parse_iso(state.created_at))
    if state.first_scan_at is None and (today - registered).days < thresholds.new_days:
        return "new"
    idle = idle_days(state, today)
    if idle >= thresholds.sleeping_days:
        return "sleeping"
    if idle >= thresholds.at_risk_days:
        return "at_risk"
    return "active"


def _score(value: int, bounds: tuple[int, ...]) -> int:
    return 1 + sum(1 for bound in bounds if value >= bound)


def rfm_of(state: Lifecycle, today: date) -> Rfm:
    return Rfm(
        r=6 - _score(idle_days(state, today), RECENCY_DAYS),
        f=_score(state.activity_count, FREQUENCY_COUNTS),
        m=_score(state.points_volume, MONETARY_POINTS),
    )


def index_entry(state: Lifecycle, segment: Segment) -> IndexEntry | None:
    """The user's place in the activity index for `segment`, or None (a sleeping user leaves it:
    only an activity changes a sleeper, and the activity puts them back).

    A new user stays under their registration day, whatever they do before their first scan, so the
    move finds them on the day their `new` days end; everyone else is under their last activity's day.
    """
    if segment == "sleeping":
        return None
    if segment == "new":
        return IndexEntry(business_day(parse_iso(state.created_at)), segment)
    return IndexEntry(business_day(parse_iso(state.last_active_at or state.created_at)), segment)


def index_shard(user_id: str, shards: int) -> int:
    """A stable shard of the activity index (Python's `hash` differs per process, so sha256)."""
    return int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:8], "big") % shards


@dataclass(frozen=True)
class Crossing:
    """An index partition (all shards of `day`) whose users in `segment` (None: any) move today."""

    day: date
    segment: Segment | None


def crossings(today: date, thresholds: Thresholds, lookback_days: int = LOOKBACK_DAYS) -> list[Crossing]:
    """The partitions whose users change segment today: new users whose new days end, active users
    becoming at risk, and everyone still indexed under the sleeping date (active or at risk: the
    index holds no sleepers); each also on the `lookback_days - 1` dates before, for missed runs."""
    found: list[Crossing] = []
    for back in range(lookback_days):
        found.append(Crossing(today - timedelta(days=thresholds.new_days + back), "new"))
        found.append(Crossing(today - timedelta(days=thresholds.at_risk_days + back), "active"))
        found.append(Crossing(today - timedelta(days=thresholds.sleeping_days + back), None))
    return found
