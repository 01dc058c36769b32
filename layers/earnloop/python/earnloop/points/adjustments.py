"""The pure rule of an admin's manual adjustment (an `adjust` ledger entry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.platform.errors import InsufficientPointsError
from earnloop.points.models import Posting
from earnloop.points.rules import _emptied, _entry, apply_deltas, bucket_for, earliest, take_oldest_first

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.points.models import Account


def plan_adjust(
    account: Account,
    txn_id: str,
    delta: int,
    reason: str,
    actor: str,
    now: datetime,
    expiry_months: int,
) -> Posting:
    """The posting of an admin's manual adjustment: a credit goes to today's bucket, a debit takes
    the earliest-expiring buckets first. It moves neither `lifetime_earned` (no tier is earned by a
    correction) nor a debt, and works on a frozen account (correcting a suspect's balance is what
    it is for).

    Raises:
        InsufficientPointsError: a debit larger than the balance (a balance never goes below zero).
    """
    if delta < 0 and account.balance < -delta:
        raise InsufficientPointsError("the adjustment would take the balance below zero")
    credit = delta > 0
    deltas = {bucket_for(now, expiry_months): delta} if credit else take_oldest_first(account.buckets, -delta)
    return Posting(
        account=account,
        entry=_entry(account, txn_id, "adjust", delta, deltas, reason, actor, None, now),
        bucket_deltas=deltas,
        emptied=frozenset() if credit else _emptied(account, deltas),
        next_expiry=earliest(apply_deltas(account.buckets, deltas)),
    )
