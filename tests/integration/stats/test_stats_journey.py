"""Statistics against the ledger on DynamoDB Local (moto copies whole tables per transaction, too
slow for a journey): a seeded random journey through the real ledger, its entries counted shuffled
and partly twice, some of them by rival workers at once, equal the ledger's sums per business day."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from earnloop.points.context import CONTEXT as POINTS
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore
from earnloop.stats import service
from earnloop.stats.context import CONTEXT as STATS
from earnloop.stats.events import PointsChanged
from earnloop.stats.rules import day_of
from earnloop.stats.store import StatsStore
from earnloop.stats.worker import count_points

from tests.support.races import fresh_table, race_client


def journey(ledger: Ledger, users: list[str], rng: random.Random) -> None:
    start = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: steps cross midnights
    for step in range(24):
        now = start + timedelta(hours=step * 4.3)
        user, roll = rng.choice(users), rng.random()
        if roll < 0.45:
            # Some earns live one day only, so the journey's expiries find something.
            short = day_of(now.isoformat()) if rng.random() < 0.3 else None
            command = EarnCommand(
                txn_id=f"earn#{step}", user_id=user, points=rng.randint(1, 60), reason="j", expires_on=short
            )
            ledger.credit(command, now)
        elif roll < 0.75:
            balance = ledger.account(user, consistent=True).balance
            if balance > 0:
                points = rng.randint(1, balance)
                ledger.spend(
                    SpendCommand(txn_id=f"spend#{step}", user_id=user, points=points, reason="j", actor=user),
                    now,
                )
        elif roll < 0.85:
            refund = EarnCommand(
                txn_id=f"refund#{step}",
                user_id=user,
                points=rng.randint(1, 9),
                reason="j",
                entry_type="refund",
            )
            ledger.credit(refund, now)
        else:
            ledger.expire(user, day_of(now.isoformat()), now)


def test_statistics_equal_the_ledger_after_a_random_journey(dynamodb_local):
    ddb = race_client(dynamodb_local)
    points = PointsStore(ddb, fresh_table(ddb, POINTS.table))
    stats = StatsStore(ddb, fresh_table(ddb, STATS.table))
    ledger, users, rng = Ledger(points, pause=lambda _: None), ["ana", "bo", "cy"], random.Random(20261202)
    journey(ledger, users, rng)
    entries = [e for u in users for e in points.entries(u)]
    assert {e.entry_type for e in entries} >= {"earn", "spend", "refund", "expire"}

    events = [PointsChanged.model_validate(e.model_dump()) for e in entries]
    deliveries = events + rng.sample(events, len(events) // 3)  # redeliveries
    rng.shuffle(deliveries)
    # Four workers at once: duplicates may race each other, and every event of a day hits that
    # day's shard rows, so transactions conflict and move to the next shard.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda event: count_points(event, stats), deliveries))

    rows = {row.day: row for row in service.stats_range(stats, date(2026, 11, 28), date(2026, 12, 5))}
    for day, row in rows.items():
        on_day = [e for e in entries if day_of(e.created_at) == day]

        def total(kind: str, among=on_day) -> int:
            return sum(abs(e.delta) for e in among if e.entry_type == kind)

        expected = {
            k: total(t)
            for k, t in (
                ("issued", "earn"),
                ("spent", "spend"),
                ("refunded", "refund"),
                ("expired", "expire"),
            )
        }
        assert {k: row.counters[k] for k in expected} == expected, day
        assert row.outstanding == sum(e.delta for e in entries if day_of(e.created_at) <= day), day
    balances = sum(points.account(u).balance for u in users)
    assert rows[date(2026, 12, 5)].outstanding == balances > 0


def test_one_event_delivered_to_eight_workers_at_once_counts_once(dynamodb_local):
    ddb = race_client(dynamodb_local)
    stats = StatsStore(ddb, fresh_table(ddb, STATS.table))
    event = PointsChanged(
        txn_id="scan#x", user_id="u", entry_type="earn", delta=7, created_at="2026-12-01T02:00:00.000Z"
    )
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: count_points(event, stats), range(8)))
    [row] = service.stats_range(stats, date(2026, 12, 1), date(2026, 12, 1))
    assert (row.counters["issued"], row.outstanding) == (7, 7)
