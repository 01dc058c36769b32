"""Two overlapping runs of the same expiry piece (a slow run and its SQS redelivery, or two
schedule invocations) on DynamoDB Local, where transactions really race: each account is expired
exactly once and its ledger still adds up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from earnloop.platform.settings import get_settings
from earnloop.points.context import CONTEXT as POINTS
from earnloop.points.expiry_job import expire_piece, plan_pieces
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.integration.points.expiry_harness import at
from tests.support.races import fresh_table, race_client

USERS = [f"user-{n:02}" for n in range(24)]
RUNS = 4


def test_overlapping_runs_expire_each_account_once(dynamodb_local):
    ddb = race_client(dynamodb_local)
    store = PointsStore(ddb, fresh_table(ddb, POINTS.table))
    ledger = Ledger(store)
    for user in USERS:
        ledger.earn(
            EarnCommand(txn_id=f"earn#{user}", user_id=user, points=10, reason="t"), at("2025-12-10T04:00")
        )
        ledger.earn(
            EarnCommand(txn_id=f"late#{user}", user_id=user, points=5, reason="t"), at("2026-06-10T04:00")
        )
    now = at("2026-12-31T16:10")
    pieces = [p for p in plan_pieces(now, get_settings().expiry_shards) if p.due.isoformat() == "2026-12-31"]

    def one_run(_: int) -> int:
        return sum(expire_piece(p, store, ledger, now, lambda: 60_000).expired for p in pieces)

    with ThreadPoolExecutor(RUNS) as pool:
        expired = sum(pool.map(one_run, range(RUNS)))

    assert expired == len(USERS)
    for user in USERS:
        account = store.account(user)
        entries = store.entries(user)
        assert [e.txn_id for e in entries if e.entry_type == "expire"] == [f"expire#{user}#2027-01-01"]
        assert account.balance == 5 == sum(account.buckets.values()) == sum(e.delta for e in entries)
