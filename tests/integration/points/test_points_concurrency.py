"""Concurrent writers on one account, over the real store and service on moto, from threads."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from earnloop.platform import aws
from earnloop.platform.errors import ConcurrencyError, InsufficientPointsError
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.service import Ledger, jittered_pause
from earnloop.points.store import PointsStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
THREADS = 4
EARNS_PER_THREAD = 10


class AtomicRequests:
    """The DynamoDB client with one request at a time.

    moto applies a request without a lock: two threads' transactions can interleave between a
    condition check and its write, and a cancelled one restores the whole table, undoing the
    other's commit. DynamoDB makes each request atomic; this restores that, and leaves open the race
    that matters here, between the ledger's read and its write.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


def until_accepted(deliver: Any, redeliveries: Counter[str]) -> Any:
    """Delivers again while the ledger gives up on a busy account, as SQS redelivers a failed message."""
    while True:
        try:
            return deliver()
        except ConcurrencyError:
            redeliveries["redeliveries"] += 1


def run_threads(work: list[Any]) -> None:
    errors: list[BaseException] = []

    def guarded(job: Any) -> None:
        try:
            job()
        except BaseException as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_earns_on_one_account_converge_without_losing_or_doubling_a_point(moto_cloud):
    store = PointsStore(AtomicRequests(aws.dynamodb()), moto_cloud.settings.table_name("points"))  # type: ignore[arg-type]
    lost_races: Counter[str] = Counter()

    def pause(attempt: int) -> None:
        lost_races["retries"] += 1
        jittered_pause(attempt)

    ledger = Ledger(store, pause=pause)

    def worker(thread: int) -> None:
        commands = [
            EarnCommand(txn_id=f"like#{thread}#{i}", user_id="viral", points=1, reason="like")
            for i in range(EARNS_PER_THREAD)
        ]
        # Every message is delivered twice, and redelivered whenever the ledger gave up (as SQS would).
        for command in commands + commands:
            until_accepted(lambda command=command: ledger.earn(command, NOW), lost_races)

    run_threads([lambda t=t: worker(t) for t in range(THREADS)])

    total = THREADS * EARNS_PER_THREAD
    account = store.account("viral")
    entries = store.entries("viral")
    assert account.balance == account.lifetime_earned == sum(account.buckets.values()) == total
    assert len(entries) == total
    # Each entry saw a different balance: the audit trail is exact even under contention.
    assert sorted(e.balance_after for e in entries) == list(range(1, total + 1))
    assert account.version == total


def test_concurrent_earns_and_spends_never_overdraw(moto_cloud):
    store = PointsStore(AtomicRequests(aws.dynamodb()), moto_cloud.settings.table_name("points"))  # type: ignore[arg-type]
    ledger = Ledger(store)
    refused = Counter[str]()

    def earner() -> None:
        for i in range(20):
            command = EarnCommand(txn_id=f"scan#{i}", user_id="u", points=3, reason="scan")
            until_accepted(lambda command=command: ledger.earn(command, NOW), refused)

    def spender(name: str) -> None:
        for i in range(20):
            command = SpendCommand(
                txn_id=f"redeem#{name}#{i}", user_id="u", points=4, reason="mall", actor="u"
            )
            try:
                until_accepted(lambda command=command: ledger.spend(command, NOW), refused)
            except InsufficientPointsError:
                refused[name] += 1

    run_threads([earner, lambda: spender("a"), lambda: spender("b")])

    account = store.account("u")
    entries = store.entries("u")
    spent = sum(1 for e in entries if e.entry_type == "spend")
    assert account.balance == 60 - 4 * spent >= 0
    assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries)
    assert spent + refused["a"] + refused["b"] == 40
