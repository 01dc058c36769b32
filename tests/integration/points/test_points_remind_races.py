"""Overlapping runs of the same reminder pieces (a retried schedule and SQS redeliveries) on
DynamoDB Local, where conditional writes really race: each account is reminded once per date."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from earnloop.platform.settings import get_settings
from earnloop.points.context import CONTEXT as POINTS
from earnloop.points.models import EarnCommand
from earnloop.points.reminders import plan_reminders, remind_piece
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.integration.points.expiry_harness import at
from tests.support.races import fresh_table, race_client

USERS = [f"user-{n:02}" for n in range(24)]
RUNS = 4


def test_overlapping_runs_remind_each_account_once(dynamodb_local):
    ddb = race_client(dynamodb_local)
    store = PointsStore(ddb, fresh_table(ddb, POINTS.table))
    ledger = Ledger(store)
    for user in USERS:
        ledger.earn(
            EarnCommand(txn_id=f"earn#{user}", user_id=user, points=10, reason="t"), at("2025-12-10T04:00")
        )
    pieces = plan_reminders(at("2026-12-30T02:00"), get_settings().expiry_shards, days=3)

    def one_run(_: int) -> int:
        return sum(remind_piece(p, store, lambda: 60_000).reminded for p in pieces)

    with ThreadPoolExecutor(RUNS) as pool:
        reminded = sum(pool.map(one_run, range(RUNS)))

    # Every conditional write but one per account found the reminder there.
    assert reminded == len(USERS)
