"""Use cases of the ledger. Each reads the account, plans a posting with the pure rules, and commits
it in one transaction conditioned on the version it read, retrying a bounded number of times when
another writer got there first.

Why a version match even on earns: the entry's `balance_after` must be exact, and a transaction
cannot return the balance it produced (docs/decisions.md, 2026-11-23).
"""

from __future__ import annotations

import dataclasses
import random
import time
from typing import TYPE_CHECKING, Any, Protocol

from earnloop.platform.clock import iso
from earnloop.platform.errors import (
    AccountFrozenError,
    ConcurrencyError,
    EarnloopError,
    LimitReachedError,
)
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points import rules
from earnloop.points.adjustments import plan_adjust
from earnloop.points.models import (
    ACTIVE,
    FROZEN,
    Account,
    AccountStatus,
    CapCharge,
    EarnCommand,
    Hold,
    LedgerEntry,
    Outcome,
    Posting,
    SpendCommand,
)
from earnloop.points.pending import PendingEarn, PendingPolicy
from earnloop.points.rules import EarningBarredError
from earnloop.points.sanctions import Sanctions
from earnloop.points.store import AlreadyAppliedError, PointsStore, StaleAccountError
from earnloop.points.tiers import DEFAULT_LADDER, Tier, TierLadder

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date, datetime

    from earnloop.platform.dynamo import TxAction

MAX_ATTEMPTS = 8


class LedgerStore(Protocol):
    """What the ledger needs of a store (`store.PointsStore`, or an in-memory fake in unit tests)."""

    def account(self, user_id: str, *, consistent: bool = True) -> Account: ...
    def entry_exists(self, user_id: str, txn_id: str) -> bool: ...
    def commit(self, posting: Posting, checks: Sequence[TxAction] = ()) -> None: ...
    def put_hold(self, hold: Hold) -> bool: ...
    def holds(self, user_id: str) -> list[Hold]: ...
    def delete_hold(self, user_id: str, txn_id: str) -> None: ...
    def hold(self, user_id: str, txn_id: str) -> Hold | None: ...
    def put_pending_hold(
        self, hold: Hold, account: Account, cap: CapCharge | None, checks: Sequence[TxAction] = ()
    ) -> None: ...
    def hold_delete_action(self, user_id: str, txn_id: str) -> TxAction: ...
    def record_put_action(self, item: dict[str, Any]) -> TxAction: ...
    def record_refusal(self, user_id: str, txn_id: str, reason: str, at: str, expires_at: int) -> bool: ...
    def history(
        self, user_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LedgerEntry], str | None]: ...


def jittered_pause(attempt: int) -> None:
    """Full-jitter exponential backoff: spreads writers that collided so they do not collide again."""
    time.sleep(random.uniform(0, min(0.25, 0.005 * 2**attempt)))


@dataclasses.dataclass(frozen=True)
class Guard:
    """What must hold for an admin command on an account: `checks` are committed with its write
    (the admin still is one, the user exists), at no extra read; `verify` checks the same by
    reading, on the one path that writes nothing (the account already has the status asked for),
    so the answer does not depend on whether anything changed. Both raise the same errors."""

    checks: Sequence[TxAction]
    verify: Callable[[], None]


class Ledger:
    """The points ledger of every user. `pause` waits between attempts (tests pass a no-op)."""

    def __init__(
        self,
        store: LedgerStore,
        *,
        expiry_months: int = 12,
        max_attempts: int = MAX_ATTEMPTS,
        pause: Callable[[int], None] = jittered_pause,
        tiers: TierLadder = DEFAULT_LADDER,
        pending: PendingPolicy | None = None,
    ) -> None:
        self.store = store
        self.tiers = tiers
        self.pending = pending or PendingPolicy()
        self._months = expiry_months
        self._attempts = max_attempts
        self._pause = pause

    @classmethod
    def default(cls) -> Ledger:
        settings = get_settings()
        return cls(
            PointsStore.default(),
            expiry_months=settings.expiry_months,
            tiers=TierLadder.from_settings(settings),
            pending=PendingPolicy.from_settings(settings),
        )

    def post(
        self,
        user_id: str,
        txn_id: str | None,
        plan: Callable[[Account], Posting | None],
        guard: Guard | None = None,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        """Read, plan, commit; again on a lost race, up to the attempt limit. `audit` makes the
        admin action's audit record of the posting planned, committed in the same transaction.

        Raises:
            ConcurrencyError: every attempt lost its race (a worker lets SQS redeliver).
            whatever `plan` raises (frozen, insufficient points, cap reached), unless `txn_id` was
            applied before: a repeat is `already_applied` whatever the account's state is now.
        """
        for attempt in range(self._attempts):
            account = self.store.account(user_id, consistent=True)
            try:
                posting = plan(account)
            except EarnloopError:
                if txn_id is not None and self.store.entry_exists(user_id, txn_id):
                    return Outcome(status="already_applied", txn_id=txn_id, balance=account.balance)
                raise
            if posting is None:
                if guard is not None:
                    guard.verify()
                return Outcome(status="unchanged", balance=account.balance)
            checks = [*(guard.checks if guard is not None else ()), *([audit(posting)] if audit else [])]
            try:
                self.store.commit(posting, checks)
            except AlreadyAppliedError:
                return Outcome(status="already_applied", txn_id=posting.entry.txn_id, balance=account.balance)
            except ConcurrencyError:
                logger.debug("ledger write lost a race", extra={"user_id": user_id, "attempt": attempt})
                if attempt + 1 < self._attempts:
                    self._pause(attempt)
                continue
            return Outcome(
                status="applied",
                txn_id=posting.entry.txn_id,
                entry=posting.entry,
                balance=posting.entry.balance_after,
            )
        logger.warning("ledger write gave up", extra={"user_id": user_id, "attempts": self._attempts})
        raise ConcurrencyError("the points account is busy, please retry")

    def earn(
        self,
        command: EarnCommand,
        now: datetime,
        *,
        release_hold: bool = False,
        checks: Sequence[TxAction] = (),
        may_wait: bool = False,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        """Credits the points once per txn id (`already_applied` on a repeat), only if `checks`
        (ConditionChecks committed with it) hold; `audit` adds an admin's audit record of it.

        Raises:
            PendingEarn: `may_wait` and the pending policy holds this earn (`credit` keeps it).
            AccountFrozenError: the account is frozen (`credit` holds the earn instead).
            LimitReachedError: the command's daily cap has no room for it.
            ConcurrencyError: too many concurrent writers.
            whatever a failed check's translation says.
        """

        def plan(account: Account) -> Posting:
            if may_wait and not account.frozen and not rules.barred(account, now):
                # Decided from the earn's own read: pending costs no read of its own.
                release_at = self.pending.release_at(account, command, now)
                if release_at is not None:
                    raise PendingEarn(account, release_at)
            posting = rules.plan_earn(account, command, now, self._months, self.tiers)
            return dataclasses.replace(posting, release_hold=release_hold)

        guard = Guard(checks, verify=lambda: None) if checks else None
        return self.post(command.user_id, command.txn_id, plan, guard, audit)

    def apply(self, user_id: str, txn_id: str, plan: Callable[[Account], Posting | None]) -> Outcome:
        """Commits a posting that a rule outside the ledger plans from the account as read (the
        clawback of a post's points), with the same retries and once-per-txn-id guarantee.

        Raises:
            whatever `plan` raises; ConcurrencyError: too many concurrent writers.
        """
        return self.post(user_id, txn_id, plan)

    def credit(self, command: EarnCommand, now: datetime, checks: Sequence[TxAction] = ()) -> Outcome:
        """Earns; or holds the earn while the account is frozen (`held`), to be released on
        unfreeze; or keeps it pending while the account is new (`pending`, points/pending.py);
        or, while a sanction bars the account, refuses it with a recorded reason (`refused`).

        Raises:
            LimitReachedError, ConcurrencyError: as `earn`.
        """
        # A held earn still counts against the cap of the day it was earned, not of its release.
        held = command if command.occurred_at else command.model_copy(update={"occurred_at": now})
        sanctions = Sanctions(self)
        for _ in range(self._attempts):
            # The earn's own read decides everything: a bar (EarningBarredError), a freeze, and
            # whether the pending policy holds it (PendingEarn): no read before the earn.
            try:
                return self.earn(command, now, checks=checks, may_wait=self.pending.active)
            except PendingEarn as pending:
                try:
                    sanctions.keep_pending(pending.account, held, now, pending.release_at, checks)
                except StaleAccountError:
                    continue
                except AlreadyAppliedError:
                    return Outcome(status="already_applied", txn_id=command.txn_id)
                logger.info("earn pending", extra={"user_id": command.user_id, "txn_id": command.txn_id})
                return Outcome(status="pending", txn_id=command.txn_id)
            except EarningBarredError:
                account = self.store.account(command.user_id, consistent=True)
                if sanctions.refuses(account, command, now):
                    return sanctions.refuse(account, command, now)
                continue  # the bar ended in between
            except AccountFrozenError:
                pass
            try:
                self.store.put_hold(Hold(command=held, held_at=iso(now)))
            except StaleAccountError:
                # Unfrozen between our read and the hold: apply it after all.
                continue
            except AlreadyAppliedError:
                return Outcome(status="already_applied", txn_id=command.txn_id)
            logger.info("earn held", extra={"user_id": command.user_id, "txn_id": command.txn_id})
            return Outcome(status="held", txn_id=command.txn_id)
        raise ConcurrencyError("the points account is busy, please retry")

    def spend(self, command: SpendCommand, now: datetime) -> Outcome:
        """Takes the points, earliest-expiring buckets first, once per txn id.

        Raises:
            AccountFrozenError: the account is frozen.
            InsufficientPointsError: the balance is below the amount.
            ConcurrencyError: too many concurrent writers.
        """
        return self.post(
            command.user_id, command.txn_id, lambda account: rules.plan_spend(account, command, now)
        )

    def expire(self, user_id: str, on: date, now: datetime) -> Outcome:
        """Removes the buckets whose last valid day is before business day `on` (`unchanged` when
        none is due), as one entry with txn id `expire#<user>#<on>`.

        Raises:
            ConcurrencyError: too many concurrent writers.
        """
        outcome = self.post(user_id, None, lambda account: rules.plan_expire(account, on, now))
        return (
            outcome.model_copy(update={"status": "nothing_due"}) if outcome.status == "unchanged" else outcome
        )

    def set_status(
        self,
        user_id: str,
        status: AccountStatus,
        reason: str,
        actor: str,
        now: datetime,
        guard: Guard | None = None,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        """Freezes or unfreezes the account with a ledger entry (`unchanged` if it already was so).
        With a `guard`, nothing is written unless its checks hold, and they are checked even when
        nothing would change. `audit`: as in `post` (nothing changed: nothing recorded).

        Raises:
            EarnloopError: whatever the guard raises (the user does not exist: no account is created).
            ConcurrencyError: too many concurrent writers.
        """
        kind = "freeze" if status == FROZEN else "unfreeze"
        txn_id = f"{kind}#{new_id()}"
        return self.post(
            user_id,
            None,
            lambda account: rules.plan_status(account, status, txn_id, reason, actor, now),
            guard,
            audit,
        )

    def freeze(
        self,
        user_id: str,
        reason: str,
        actor: str,
        now: datetime,
        guard: Guard | None = None,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        return self.set_status(user_id, FROZEN, reason, actor, now, guard, audit)

    def unfreeze(
        self,
        user_id: str,
        reason: str,
        actor: str,
        now: datetime,
        guard: Guard | None = None,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        """Unfreezes; the held earns are released by the worker on the unfreeze entry's event."""
        return self.set_status(user_id, ACTIVE, reason, actor, now, guard, audit)

    def adjust(
        self,
        user_id: str,
        txn_id: str,
        delta: int,
        reason: str,
        actor: str,
        now: datetime,
        guard: Guard | None = None,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        """A manual `adjust` entry (points/adjustments.py), once per txn id (`already_applied` on a
        repeat, whatever the account is now).

        Raises:
            InsufficientPointsError: a negative delta would take the balance below zero.
            EarnloopError: whatever the guard raises; ConcurrencyError: too many concurrent writers.
        """
        return self.post(
            user_id,
            txn_id,
            lambda account: plan_adjust(account, txn_id, delta, reason, actor, now, self._months),
            guard,
            audit,
        )

    def release_holds(self, user_id: str, now: datetime) -> list[Outcome]:
        """Credits every held earn with its own txn id (so each applies at most once) and removes it.

        A hold whose cap is full by now is dropped; if the account was frozen again, the rest wait
        for the next unfreeze.

        Raises:
            ConcurrencyError: too many concurrent writers (the message is redelivered; safe).
        """
        outcomes: list[Outcome] = []
        for hold in self.store.holds(user_id):
            command = hold.command
            if hold.release_at is not None and iso(now) < hold.release_at:
                continue  # pending: the release schedule credits it at its time
            try:
                outcome = self.earn(command, now, release_hold=True)
            except EarningBarredError:
                logger.info("held earn of a barred account, dropped", extra={"txn_id": command.txn_id})
                self.store.delete_hold(user_id, command.txn_id)
                continue
            except AccountFrozenError:
                logger.info("account frozen again, holds kept", extra={"user_id": user_id})
                break
            except LimitReachedError:
                logger.info(
                    "held earn over its cap, dropped", extra={"user_id": user_id, "txn_id": command.txn_id}
                )
                self.store.delete_hold(user_id, command.txn_id)
                continue
            if outcome.status == "already_applied":
                self.store.delete_hold(user_id, command.txn_id)
            outcomes.append(outcome)
        return outcomes

    def account(self, user_id: str, *, consistent: bool = False) -> Account:
        return self.store.account(user_id, consistent=consistent)

    def tier(self, account: Account) -> Tier:
        """The account's tier (its multiplier is what its next rule earn pays)."""
        return self.tiers.current(account.tier, account.lifetime_earned)

    def history(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        return self.store.history(user_id, limit, cursor)
