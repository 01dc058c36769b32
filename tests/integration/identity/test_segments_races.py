"""Activity of one user racing other activity, its own redeliveries and the daily move, on DynamoDB
Local (moto's transactions are not thread-safe): every activity counted exactly once, the last
activity kept, and the move never undoing what an activity decided."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from earnloop.identity.context import CONTEXT as IDENTITY
from earnloop.identity.segments_job import move_piece, plan_pieces
from earnloop.identity.segments_rules import Thresholds
from earnloop.identity.segments_service import record_activity
from earnloop.identity.segments_store import SegmentsStore
from earnloop.platform.errors import ConcurrencyError

from tests.integration.identity.test_segments_cost import put_all, user_item
from tests.support.races import fresh_table, race_client

THREADS = 3
SCANS = 4
ON = date(2027, 3, 31)
LIMITS = Thresholds()
NOW = datetime(2027, 3, 30, 19, 0, tzinfo=UTC)  # 03:00 on 03-31 in Shanghai


def test_racing_activities_and_the_move_count_each_activity_once(dynamodb_local: str) -> None:
    ddb = race_client(dynamodb_local, THREADS)
    table = fresh_table(ddb, IDENTITY.table)
    shards = 1
    # Idle 30 days: the move of 03-31 would make them at risk, but they come back meanwhile.
    put_all(ddb, table, [user_item("li", ON - timedelta(days=30), "active", shards=shards)])
    store = SegmentsStore(ddb, table, shards)
    start = threading.Barrier(THREADS)

    def scan(n: int) -> None:
        at = NOW + timedelta(minutes=n % SCANS)
        while True:  # SQS redelivers an event whose handling kept colliding
            try:
                record_activity(store, "li", "scan", f"C{n % SCANS}", at, NOW, LIMITS, points=10)
                return
            except ConcurrencyError:
                continue

    def move(_: int) -> None:
        for piece in plan_pieces(ON, shards, LIMITS):
            move_piece(piece, store, LIMITS, NOW, lambda: 60_000)

    def work(worker: int) -> None:
        start.wait()
        if worker == 0:
            move(worker)
        # Each scan twice (a redelivery), spread over the threads.
        for n in range(worker, 2 * SCANS, THREADS):
            scan(n)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))

    state = store.lifecycle("li")
    assert state is not None
    assert (state.activity_count, state.points_volume) == (3 + SCANS, 150 + 10 * SCANS)
    assert state.last_active_at == "2027-03-30T19:03:00.000Z"
    assert state.segment == "active"
