"""Pure rules of the ledger: expiry dates, buckets, caps, tiers, and the posting each command makes.

Nothing here reads a clock, the environment or a table: `now` and the account come in as arguments.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from earnloop.platform.clock import BUSINESS_TZ, business_day, iso
from earnloop.platform.errors import AccountFrozenError, InsufficientPointsError, LimitReachedError
from earnloop.points.models import (
    FROZEN,
    Account,
    AccountStatus,
    CapCharge,
    EarnCommand,
    LedgerEntry,
    Posting,
    SpendCommand,
)
from earnloop.points.tiers import DEFAULT_LADDER, TierLadder, multiplied

if TYPE_CHECKING:
    from collections.abc import Mapping

EXPIRING_SOON_DAYS = 30
# A cap counter outlives its business day by this much, then TTL may delete it.
CAP_RETENTION_DAYS = 2


def expiry_date(earned_on: date, months: int) -> date:
    """The last valid day of points earned on business day `earned_on`: the end of the month
    `months` months later (earned 2026-11-23, 12 months -> 2027-11-30)."""
    month_index = earned_on.year * 12 + (earned_on.month - 1) + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def bucket_for(now: datetime, months: int) -> date:
    """The expiry bucket that points earned at `now` go into (by Asia/Shanghai business day)."""
    return expiry_date(business_day(now), months)


def expiry_shard(user_id: str, shards: int) -> int:
    """A stable shard for the expiry index (Python's `hash` differs per process, so sha256)."""
    return int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:8], "big") % shards


def earliest(buckets: Mapping[date, int]) -> date | None:
    """The first expiry date that still holds points."""
    return min((d for d, points in buckets.items() if points > 0), default=None)


def take_oldest_first(buckets: Mapping[date, int], amount: int) -> dict[date, int]:
    """How much to take from each bucket (negative deltas), earliest expiry first.

    Raises:
        InsufficientPointsError: the buckets hold less than `amount`.
    """
    if amount > sum(p for p in buckets.values() if p > 0):
        raise InsufficientPointsError("balance is below the amount")
    taken: dict[date, int] = {}
    left = amount
    for day in sorted(d for d, p in buckets.items() if p > 0):
        if left == 0:
            break
        take = min(left, buckets[day])
        taken[day] = -take
        left -= take
    return taken


def due_buckets(buckets: Mapping[date, int], on: date) -> dict[date, int]:
    """The buckets whose last valid day is before business day `on` (negative deltas)."""
    return {d: -p for d, p in sorted(buckets.items()) if d < on and p > 0}


def apply_deltas(buckets: Mapping[date, int], deltas: Mapping[date, int]) -> dict[date, int]:
    """The buckets after the deltas, without empty ones."""
    after = dict(buckets)
    for day, delta in deltas.items():
        after[day] = after.get(day, 0) + delta
    return {d: p for d, p in after.items() if p > 0}


def expiring_within(buckets: Mapping[date, int], today: date, days: int = EXPIRING_SOON_DAYS) -> int:
    """Points whose last valid day is at most `days` days after `today` (overdue ones included)."""
    horizon = today + timedelta(days=days)
    return sum(p for d, p in buckets.items() if d <= horizon and p > 0)


def cap_charge(cap_rule: str, limit: int, points: int, day: date) -> CapCharge:
    """The cap counter increment of an earn on business day `day`.

    Raises:
        LimitReachedError: `points` alone exceed the cap.
    """
    if points > limit:
        raise LimitReachedError(f"daily cap of {cap_rule} reached")
    end_of_day = datetime.combine(day + timedelta(days=CAP_RETENTION_DAYS), time.max, BUSINESS_TZ)
    return CapCharge(cap_rule, day, points, limit - points, int(end_of_day.timestamp()))


def _entry(
    account: Account,
    txn_id: str,
    entry_type: str,
    delta: int,
    deltas: Mapping[date, int],
    reason: str,
    actor: str,
    reference: str | None,
    now: datetime,
    debt_delta: int | None = None,
) -> LedgerEntry:
    return LedgerEntry.model_validate(
        {
            "debt_delta": debt_delta,
            "txn_id": txn_id,
            "user_id": account.user_id,
            "entry_type": entry_type,
            "delta": delta,
            "balance_after": account.balance + delta,
            "buckets": {d.isoformat(): v for d, v in sorted(deltas.items())},
            "reason": reason,
            "actor": actor,
            "reference": reference,
            "created_at": iso(now),
        }
    )


def _emptied(account: Account, deltas: Mapping[date, int]) -> frozenset[date]:
    return frozenset(d for d, v in deltas.items() if account.buckets.get(d, 0) + v <= 0)


class EarningBarredError(AccountFrozenError):
    """A sanction bars the account from earning until `barred_until` (points/sanctions.py)."""


def barred(account: Account, now: datetime) -> bool:
    """A sanction's bar is in force (it ends by itself: nothing is written when it does)."""
    return account.barred_until is not None and iso(now) < account.barred_until


def plan_earn(
    account: Account,
    command: EarnCommand,
    now: datetime,
    expiry_months: int,
    tiers: TierLadder = DEFAULT_LADDER,
) -> Posting:
    """The posting of an earn (or refund) on `account` as read.

    A tiered earn (a rule's base points) is multiplied by the tier of the account as read: the
    write is conditioned on that version, so an earn that loses a race to a promotion is planned
    again at the new tier, and the earn that crosses a threshold is paid at the old one. The
    promotion it makes is written with it.

    Raises:
        AccountFrozenError: the account is frozen (the caller holds the earn instead).
        EarningBarredError: a sanction bars the account from earning (a refund still applies).
        LimitReachedError: the base points alone exceed the command's daily cap.
    """
    if account.frozen:
        raise AccountFrozenError("points account is frozen")
    if command.entry_type == "earn" and barred(account, now):
        raise EarningBarredError("earning is barred")
    bucket = command.expires_on or bucket_for(now, expiry_months)
    tier = tiers.current(account.tier, account.lifetime_earned)
    tiered = command.tiered and command.entry_type == "earn"
    points = multiplied(command.points, tier.multiplier) if tiered else command.points
    # An earn repays a debt (points clawed back that were already spent) before the balance grows.
    repaid = min(points, account.debt) if command.entry_type == "earn" else 0
    credited = points - repaid
    deltas = {bucket: credited} if credited else {}
    cap = None
    if command.cap is not None:
        day = business_day(command.occurred_at or now)
        # Caps count the rule's base points: a higher tier earns more within the same cap.
        cap = cap_charge(command.cap.rule, command.cap.limit, command.points, day)
    lifetime_delta = points if command.entry_type == "earn" else 0
    promoted = tiers.promotion(account.tier, account.lifetime_earned + lifetime_delta)
    entry = _entry(
        account,
        command.txn_id,
        command.entry_type,
        credited,
        deltas,
        command.reason,
        command.actor,
        command.reference,
        now,
        debt_delta=-repaid or None,
    )
    if tiered:
        entry = entry.model_copy(
            update={"base_points": command.points, "multiplier": tier.multiplier, "tier": tier.name}
        )
    return Posting(
        account=account,
        entry=entry,
        bucket_deltas=deltas,
        emptied=frozenset(),
        next_expiry=earliest(apply_deltas(account.buckets, deltas)),
        lifetime_delta=lifetime_delta,
        cap=cap,
        debt_delta=-repaid,
        promotion=(account.tier or tiers.base.name, promoted.name) if promoted else None,
    )


def plan_spend(account: Account, command: SpendCommand, now: datetime) -> Posting:
    """The posting of a spend: buckets taken earliest expiry first.

    Raises:
        AccountFrozenError: the account is frozen.
        InsufficientPointsError: the balance is below the amount.
    """
    if account.frozen:
        raise AccountFrozenError("points account is frozen")
    if account.balance < command.points:
        raise InsufficientPointsError("balance is below the amount")
    deltas = take_oldest_first(account.buckets, command.points)
    return Posting(
        account=account,
        entry=_entry(
            account,
            command.txn_id,
            "spend",
            -command.points,
            deltas,
            command.reason,
            command.actor,
            command.reference,
            now,
        ),
        bucket_deltas=deltas,
        emptied=_emptied(account, deltas),
        next_expiry=earliest(apply_deltas(account.buckets, deltas)),
    )


def expire_txn_id(user_id: str, on: date) -> str:
    return f"expire#{user_id}#{on.isoformat()}"


def plan_expire(account: Account, on: date, now: datetime) -> Posting | None:
    """The posting that removes every bucket due before business day `on`, or None when none is.

    Frozen accounts expire too: expiry is the passing of time, not a use of the account, and an
    account skipped on its date would fall off the by-date index.
    """
    deltas = due_buckets(account.buckets, on)
    if not deltas:
        return None
    delta = sum(deltas.values())
    return Posting(
        account=account,
        entry=_entry(
            account,
            expire_txn_id(account.user_id, on),
            "expire",
            delta,
            deltas,
            "expired",
            "system",
            None,
            now,
        ),
        bucket_deltas=deltas,
        emptied=frozenset(deltas),
        next_expiry=earliest(apply_deltas(account.buckets, deltas)),
    )


def plan_status(
    account: Account, status: AccountStatus, txn_id: str, reason: str, actor: str, now: datetime
) -> Posting | None:
    """The posting of a freeze or unfreeze, or None when the account already has that status."""
    if account.status == status:
        return None
    entry_type = "freeze" if status == FROZEN else "unfreeze"
    return Posting(
        account=account,
        entry=_entry(account, txn_id, entry_type, 0, {}, reason, actor, None, now),
        bucket_deltas={},
        emptied=frozenset(),
        next_expiry=account.next_expiry,
        new_status=status,
    )
