"""Pure rules of statistics and the leaderboard: what an entry counts, business days and months in
Shanghai, outstanding from the running total, ranking with ties, and the write rate per key."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, date, datetime

from earnloop.codes.rules import REJECTION_SHARDS
from earnloop.stats.context import CONTEXT
from earnloop.stats.rules import (
    BOARD_SHARDS,
    STATS_SHARDS,
    Standing,
    board_shard,
    business_month,
    day_rows,
    points_tally,
    rank,
    shard_of,
)

PARTITION_WCU = 1_000


def test_an_earn_counts_as_issued_and_scores_a_refund_only_as_refunded():
    earn = points_tally("scan#c", "u", "earn", 50, "2026-11-30T16:30:00.000Z")
    assert earn is not None
    assert (earn.day, earn.counters, earn.scorer, earn.month, earn.score) == (
        date(2026, 12, 1),
        {"issued": 50, "net": 50},
        "u",
        "2026-12",
        50,
    )
    refund = points_tally("refund#r", "u", "refund", 30, "2026-12-01T00:00:00.000Z")
    assert refund is not None and refund.counters == {"refunded": 30, "net": 30} and refund.scorer is None
    spend = points_tally("redeem#r", "u", "spend", -30, "2026-12-01T00:00:00.000Z")
    assert spend is not None and spend.counters == {"spent": 30, "net": -30}
    clawback = points_tally("clawback#p", "u", "adjust", -10, "2026-12-01T00:00:00.000Z")
    assert clawback is not None and clawback.counters == {"adjusted": -10, "net": -10}
    assert points_tally("freeze#f", "u", "freeze", 0, "2026-12-01T00:00:00.000Z") is None


def test_the_business_month_turns_at_midnight_in_shanghai_not_utc():
    assert business_month(datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)) == "2026-11"
    assert business_month(datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)) == "2026-12"
    assert business_month(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)) == "2027-01"


def test_outstanding_is_the_running_total_minus_what_later_days_added():
    items = [
        (date(2026, 12, 1), {"issued": 100, "net": 100}),
        (date(2026, 12, 1), {"spent": 30, "net": -30, "rej#forged#3": 2, "rej#forged#9": 1}),
        (date(2026, 12, 3), {"issued": 5, "net": 5}),
        (date(2026, 12, 9), {"issued": 40, "net": 40}),  # after the range
    ]
    # 1,000 points were outstanding before the range began.
    rows = day_rows(date(2026, 12, 1), date(2026, 12, 3), items, total_net=1_000 + 115)
    assert [r.outstanding for r in rows] == [1_070, 1_070, 1_075]
    assert rows[0].rejected == {"forged": 3} and rows[0].consumption_rate == 0.3
    assert rows[1].consumption_rate is None


def test_ties_share_a_rank_and_the_next_rank_skips():
    board = rank(
        [
            Standing("u1", "Li", 50),
            Standing("u2", "Wang", 80),
            Standing("u3", "Ann", 50),
            Standing("u4", "Zed", 10),
            Standing("u5", "Nil", 0),
        ]
    )
    assert [(s.rank, s.nickname, s.points) for s in board] == [
        (1, "Wang", 80),
        (2, "Ann", 50),
        (2, "Li", 50),
        (4, "Zed", 10),
    ]
    assert [s.user_id for s in rank([Standing(f"u{i}", "n", 5) for i in range(5)], size=3)] == [
        "u0",
        "u1",
        "u2",
    ]


def test_a_burst_at_the_workers_peak_stays_under_a_partitions_write_limit():
    """The stats queue lets `max_concurrency` workers write at once; a transaction takes at least
    ~10 ms, so a second holds at most 100 counts per worker. Each count writes two items of its
    counter shard's partition (the day's row and the total, 2 WCU each in a transaction)."""
    [queue] = CONTEXT.queues
    per_second = queue.max_concurrency * 100
    rng = random.Random(7)
    ids = [f"txn#u{rng.randrange(10**6)}#scan#{i}" for i in range(per_second)]
    per_shard = Counter(shard_of(natural_id, STATS_SHARDS) for natural_id in ids)
    hottest = max(per_shard.values())
    mean = per_second / STATS_SHARDS
    assert hottest <= mean + 4 * math.sqrt(mean)  # the hash spreads like a fair draw
    assert hottest * 2 * 2 < PARTITION_WCU
    # The leaderboard's index: one score item per earner and period, by board shard.
    earners = Counter(board_shard(f"u{rng.randrange(10**6)}") for _ in range(per_second))
    assert max(earners.values()) * 2 < PARTITION_WCU and len(earners) == BOARD_SHARDS


def test_a_flood_of_rejected_scans_spreads_its_counter_updates_under_a_partitions_limit():
    """5,000 rejections in one second (a crowd rescanning a sold-out campaign), each one UpdateItem
    (1 WCU) on a random one of the codes context's day counter shards."""
    rng = random.Random(11)
    per_shard = Counter(rng.randrange(REJECTION_SHARDS) for _ in range(5_000))
    assert max(per_shard.values()) < PARTITION_WCU
