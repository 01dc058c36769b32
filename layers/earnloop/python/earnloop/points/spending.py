"""The points side of a purchase, as transaction items another context commits in its own write.

Redemption is the one command that spans two contexts: the mall puts the points spend, its stock,
its limit counter and its order in one TransactWriteItems. The points context keeps its keys and
conditions to itself and hands out the items (as it hands out the frozen check): a spend is the
ledger entry `redeem#<idempotency-key>` plus the account update (oldest buckets first), a refund is
the entry `refund#<reference>` plus the account update that puts every point back into the very
bucket it was taken from.

Conditions and what their failure raises (through `platform.dynamo.transact`):
- the entry's `attribute_not_exists`: `AlreadyAppliedError` (this txn id was committed before);
- the account's version match (and: not frozen, balance covers the spend): `StaleAccountError`,
  read again and plan again (the plan then says frozen or insufficient, or succeeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from earnloop.platform.clock import iso
from earnloop.platform.errors import AccountFrozenError
from earnloop.points import rules
from earnloop.points.models import Account, LedgerEntry, Posting, SpendCommand

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.platform.dynamo import TxAction
    from earnloop.points.store import PointsStore

__all__ = [
    "PointsLeg",
    "SpendNotFoundError",
    "plan_refund",
    "redeem_txn_id",
    "refund_actions",
    "refund_txn_id",
    "spend_actions",
]


class SpendNotFoundError(LookupError):
    """The spend a refund names is not in the user's ledger."""


@dataclass(frozen=True)
class PointsLeg:
    """The points items of a cross-context transaction and the posting they write."""

    posting: Posting
    actions: list[TxAction]

    @property
    def entry(self) -> LedgerEntry:
        return self.posting.entry


def redeem_txn_id(idempotency_key: str) -> str:
    """The ledger txn id of a redemption (the entry lives on the user's partition, so keys of two
    users never collide)."""
    return f"redeem#{idempotency_key}"


def refund_txn_id(reference: str) -> str:
    """The ledger txn id of the refund of the purchase `reference` (an order id): one per order."""
    return f"refund#{reference}"


def spend_actions(store: PointsStore, command: SpendCommand, now: datetime) -> PointsLeg:
    """Reads the account (strongly consistent) and plans the spend, earliest-expiring buckets first.

    Raises:
        AccountFrozenError: the account is frozen.
        InsufficientPointsError: the balance is below the price.
    """
    account = store.account(command.user_id, consistent=True)
    posting = rules.plan_spend(account, command, now)
    return PointsLeg(posting, store.posting_actions(posting))


def plan_refund(
    account: Account,
    spend: LedgerEntry,
    txn_id: str,
    reason: str,
    actor: str,
    reference: str | None,
    now: datetime,
) -> Posting:
    """The posting that gives back every point of `spend` into the bucket it came from.

    A bucket whose date has passed meanwhile is restored too (the points were the user's until that
    date; the next expiry run takes them, as it would have without the purchase).

    Raises:
        AccountFrozenError: the account is frozen (a refund credits, and a frozen account does not
            take credits; the caller retries after the unfreeze).
        ValueError: `spend` is not a spend.
    """
    if spend.entry_type != "spend" or spend.delta >= 0:
        raise ValueError(f"{spend.txn_id} is not a spend")
    if account.frozen:
        raise AccountFrozenError("points account is frozen")
    deltas = {date.fromisoformat(day): -taken for day, taken in spend.buckets.items() if taken < 0}
    points = sum(deltas.values())
    entry = LedgerEntry(
        txn_id=txn_id,
        user_id=account.user_id,
        entry_type="refund",
        delta=points,
        balance_after=account.balance + points,
        buckets={d.isoformat(): v for d, v in sorted(deltas.items())},
        reason=reason,
        actor=actor,
        reference=reference,
        created_at=iso(now),
    )
    return Posting(
        account=account,
        entry=entry,
        bucket_deltas=deltas,
        emptied=frozenset(),
        next_expiry=rules.earliest(rules.apply_deltas(account.buckets, deltas)),
    )


def refund_actions(
    store: PointsStore,
    user_id: str,
    spend_txn_id: str,
    *,
    reference: str,
    reason: str,
    actor: str,
    now: datetime,
) -> PointsLeg:
    """Reads the account and the spend entry (both strongly consistent) and plans the refund
    `refund#<reference>`.

    Raises:
        SpendNotFoundError: no such spend in the user's ledger.
        AccountFrozenError: the account is frozen.
    """
    spend = store.entry(user_id, spend_txn_id)
    if spend is None:
        raise SpendNotFoundError(spend_txn_id)
    account = store.account(user_id, consistent=True)
    posting = plan_refund(account, spend, refund_txn_id(reference), reason, actor, reference, now)
    return PointsLeg(posting, store.posting_actions(posting))
