"""The expiry job's DynamoDB calls grow with the accounts due, never with all accounts: the same
count with 10 and with 10,000 idle accounts (points on the books, none due on the run's dates).

On DynamoDB Local: moto answers an index query by looking at every item of the table, which takes
minutes at this size. The job's own pieces run here (`plan_pieces`, `expire_piece`) on a counting
client; the handlers around them are tested under moto (test_points_expire.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from earnloop.platform.dynamo import marshal
from earnloop.platform.settings import get_settings
from earnloop.points.context import CONTEXT as POINTS
from earnloop.points.expiry_job import LOOKBACK_DAYS, expire_piece, plan_pieces
from earnloop.points.models import EarnCommand
from earnloop.points.rules import expiry_shard
from earnloop.points.service import Ledger
from earnloop.points.store import BUCKET_PREFIX, PointsStore, account_key, expiry_partition

from tests.integration.points.expiry_harness import at
from tests.support.races import fresh_table, race_client

DUE = 10
FIRST_IDLE_EXPIRY = date(2027, 1, 1)  # valid through the run's own business day, or later


def put_idle_accounts(ddb: Any, table: str, count: int, shards: int) -> None:
    """Accounts as the ledger stores them, each with one bucket valid through 2027-01-01 or after."""
    items = []
    for n in range(count):
        user = f"idle-{n:05}"
        last_day = FIRST_IDLE_EXPIRY + timedelta(days=n % 365)
        item = {
            **account_key(user),
            "entity": "Account",
            "user_id": user,
            "balance": 10,
            "lifetime_earned": 10,
            "status": "active",
            "version": 1,
            f"{BUCKET_PREFIX}{last_day.isoformat()}": 10,
            "next_expiry": last_day.isoformat(),
            "exp_pk": expiry_partition(last_day, expiry_shard(user, shards)),
            "exp_sk": user,
        }
        items.append({"PutRequest": {"Item": marshal(item)}})
    for start in range(0, len(items), 25):
        assert not ddb.batch_write_item(RequestItems={table: items[start : start + 25]}).get(
            "UnprocessedItems"
        )


@pytest.mark.parametrize("idle", [10, 1_000])
def test_the_job_makes_the_same_dynamodb_calls_whatever_the_number_of_idle_accounts(dynamodb_local, idle):
    ddb = race_client(dynamodb_local)
    table = fresh_table(ddb, POINTS.table)
    store = PointsStore(ddb, table)
    ledger = Ledger(store)
    shards = get_settings().expiry_shards
    put_idle_accounts(ddb, table, idle, shards)
    for n in range(DUE):
        command = EarnCommand(txn_id=f"earn#{n}", user_id=f"due-{n}", points=10, reason="test")
        ledger.earn(command, at("2025-12-10T04:00"))  # valid through 2026-12-31
    now = at("2026-12-31T16:10")  # 00:10 on 2027-01-01 in Shanghai
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    ddb.meta.events.register("before-call.dynamodb", count)
    results = [expire_piece(piece, store, ledger, now, lambda: 60_000) for piece in plan_pieces(now, shards)]

    assert sum(r.expired for r in results) == DUE and all(r.rest is None for r in results)
    # One query per piece (each shard of each looked-back date), one read and one transaction per
    # account due; nothing for the idle ones.
    assert calls == {"Query": LOOKBACK_DAYS * shards, "GetItem": DUE, "TransactWriteItems": DUE}
    assert store.account("idle-00000").balance == 10
