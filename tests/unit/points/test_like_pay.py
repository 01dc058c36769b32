"""The likes owed to authors: which minutes a run pays, and the arithmetic of a viral author."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from earnloop.points.like_pay import MAX_MINUTES_PER_RUN, like_received_txn_id, minutes_to_pay
from earnloop.points.like_pay_store import PAY_SHARDS, guard_key, minute_of, pending_key

NOW = datetime(2026, 12, 2, 9, 10, 30, tzinfo=UTC)
PARTITION_WCU, TX_WCU_PER_ITEM = 1000, 2


def test_a_minute_is_paid_two_minutes_after_it_ends_and_never_before() -> None:
    assert minute_of(NOW) == "2026-12-02T09:10"
    assert minutes_to_pay("2026-12-02T09:06", NOW) == ["2026-12-02T09:07", "2026-12-02T09:08"]
    assert minutes_to_pay("2026-12-02T09:08", NOW) == []


def test_the_first_run_looks_back_five_minutes_and_a_backlog_is_paid_30_minutes_a_run() -> None:
    assert minutes_to_pay(None, NOW)[0] == "2026-12-02T09:03"
    assert minutes_to_pay(None, NOW)[-1] == "2026-12-02T09:08"
    backlog = minutes_to_pay("2026-12-02T07:00", NOW)
    assert len(backlog) == MAX_MINUTES_PER_RUN and backlog[0] == "2026-12-02T07:01"


def test_a_viral_authors_owed_likes_spread_over_the_pay_shards_and_one_write_a_minute() -> None:
    """The points worker records each like owed to the author (a guard on its own key, a pending
    item in one of 16 partitions of the minute, one transaction): at 5,000 likes a second no
    pending partition nears its limit, and the author's account takes one write a minute."""
    rate = 5000
    rng = random.Random(9)  # random ids, the same every run
    pairs = [(f"P{i % 7}", f"{rng.getrandbits(128):032x}") for i in range(20_000)]
    per_partition = Counter(pending_key("2026-12-02T09:00", "alice", p, u)["pk"] for p, u in pairs)
    assert len(per_partition) == PAY_SHARDS
    assert len({guard_key(p, u)["pk"] for p, u in pairs}) == len(pairs)  # every guard its own key

    busiest_wcu = rate * max(per_partition.values()) / len(pairs) * TX_WCU_PER_ITEM
    assert busiest_wcu < 0.8 * PARTITION_WCU, busiest_wcu
    # The minute pay-out: one ledger entry per author and closed minute, whatever the rate.
    assert like_received_txn_id("alice", "2026-12-02T09:00") == "like_received#alice#2026-12-02T09:00"
