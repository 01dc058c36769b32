"""The nightly reconciliation: the ledger invariants of every account changed on a business day.

For each account: `balance == sum(buckets) == sum(entry deltas)`, `balance >= 0`, and `debt ==
sum(debt_delta)`. The accounts come from the sparse `by_change` index (every posting stamps the
account with the business day of the change, `points/store.py`), one piece per shard, carried by
the `reconcile` queue like the expiry's pieces (docs/decisions.md, "Reconciliation"). A mismatch is
reported (an ERROR line, the `LedgerMismatch` metric behind an alarm, a `RECON#<day>` record);
nothing is corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, NonNegativeInt

from earnloop.platform.clock import business_day, iso
from earnloop.platform.observability import logger, metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from earnloop.points.models import Account, LedgerEntry
    from earnloop.points.reconcile_store import ReconcileStore

RECONCILE_QUEUE = "reconcile"
PAGE_SIZE = 100
# Stop taking accounts when less than this is left: room for one account and the resuming message.
RESERVE_MS = 10_000
# An account found out of balance is read again: a posting committing between the pages of our
# query (a Query is not isolated from transactions) could make a sound ledger look wrong once.
READS = 3
RECORD_TTL = timedelta(days=90)


class ReconcilePiece(BaseModel):
    """One shard of the accounts last changed on business day `day`; `after`: resume after this user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: date
    shard: NonNegativeInt
    after: str | None = None


@dataclass(frozen=True)
class Mismatch:
    user_id: str
    day: date
    balance: int
    buckets_sum: int
    entries_sum: int
    debt: int
    debt_sum: int
    entries: int
    # None: no account item at all (entries without an account are a mismatch too).
    version: int | None

    def as_record(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "day": self.day.isoformat(),
            "balance": self.balance,
            "buckets_sum": self.buckets_sum,
            "entries_sum": self.entries_sum,
            "debt": self.debt,
            "debt_sum": self.debt_sum,
            "entries": self.entries,
            "version": self.version,
        }


@dataclass(frozen=True)
class PieceResult:
    checked: int
    mismatches: int
    rest: ReconcilePiece | None


def check(account: Account, entries: Sequence[LedgerEntry], day: date) -> Mismatch | None:
    """The account's invariants against its ledger; None when they hold."""
    buckets_sum = sum(account.buckets.values())
    entries_sum = sum(entry.delta for entry in entries)
    debt_sum = sum(entry.debt_delta or 0 for entry in entries)
    holds = (
        account.balance == buckets_sum == entries_sum
        and account.balance >= 0
        and account.debt == debt_sum
        and all(points >= 0 for points in account.buckets.values())
    )
    if holds:
        return None
    return Mismatch(
        user_id=account.user_id,
        day=day,
        balance=account.balance,
        buckets_sum=buckets_sum,
        entries_sum=entries_sum,
        debt=account.debt,
        debt_sum=debt_sum,
        entries=len(entries),
        version=account.version,
    )


def plan_pieces(now: datetime, shards: int) -> list[ReconcilePiece]:
    """The run at `now` checks the accounts changed on the business day before it."""
    day = business_day(now) - timedelta(days=1)
    return [ReconcilePiece(day=day, shard=shard) for shard in range(shards)]


def reconcile_account(store: ReconcileStore, user_id: str, day: date) -> Mismatch | None:
    """The account's mismatch, if it holds over two reads of the same version."""
    seen: Mismatch | None = None
    for _ in range(READS):
        account, entries = store.ledger(user_id)
        found = check(account, entries, day)
        if found is None:
            return None
        if seen is not None and seen.version == found.version:
            return found
        seen = found
    return seen


def report(store: ReconcileStore, mismatch: Mismatch, now: datetime) -> None:
    logger.error("ledger mismatch", extra=mismatch.as_record())
    metrics.add_metric(name="LedgerMismatch", unit=MetricUnit.Count, value=1)
    store.record(mismatch, int((now + RECORD_TTL).timestamp()))


def reconcile_piece(
    piece: ReconcilePiece, store: ReconcileStore, now: datetime, time_left_ms: Callable[[], int]
) -> PieceResult:
    """Checks every account of the piece, a page at a time, until done or short of time (after at
    least one account, so each invocation makes progress)."""
    after, checked, mismatches, worked = piece.after, 0, 0, False
    while True:
        users, more = store.changed_page(piece.day, piece.shard, after=after, limit=PAGE_SIZE)
        for user_id in users:
            if worked and time_left_ms() < RESERVE_MS:
                return PieceResult(checked, mismatches, piece.model_copy(update={"after": after}))
            mismatch = reconcile_account(store, user_id, piece.day)
            if mismatch is not None:
                report(store, mismatch, now)
                mismatches += 1
            checked += 1
            after, worked = user_id, True
        if not more or not users:
            logger.info(
                "reconciled",
                extra={
                    "day": piece.day.isoformat(),
                    "shard": piece.shard,
                    "checked": checked,
                    "mismatches": mismatches,
                    "at": iso(now),
                },
            )
            return PieceResult(checked, mismatches, None)
