"""Sanctions: a fraud verdict forfeits the user's points and bars earning for a while; and the
writes of pending earns, which a sanction drops.

A sanction is ONE transaction on the account's partition: an `adjust` ledger entry (reason
`forfeit`) taking every bucket, the account's `barred_until`/`bar_reason`, the deletion of the held
and pending earns, and a `SANCTION#<txn-id>` record of what was dropped (plus the admin's audit
item and live-admin checks). While barred, an earn is refused and recorded (`REFUSED#<txn-id>`);
the bar ends by itself at `barred_until`. See docs/decisions.md (2026-12-02).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.platform.clock import business_day, iso, parse_iso
from earnloop.platform.observability import logger
from earnloop.points import rules
from earnloop.points.models import Account, EarnCommand, Hold, LedgerEntry, Outcome, Posting

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from earnloop.platform.dynamo import TxAction
    from earnloop.points.service import Guard, Ledger

FORFEIT_REASON = "forfeit"
# One transaction holds at most 100 items: the posting, the record, the audit and the admin checks
# leave room for this many dropped holds. More are dropped by whoever meets them next (a release
# finds the account barred).
MAX_DROPPED_HOLDS = 90
# A refused earn's record outlives the bar by this long, then TTL may delete it.
REFUSAL_RETENTION_DAYS = 30


def plan_forfeit(
    account: Account, txn_id: str, reason: str, actor: str, now: datetime, bar_until: datetime
) -> Posting | None:
    """The posting of a sanction: every bucket taken (an `adjust` entry, reason `forfeit`) and the
    bar set. None while a bar is already in force (a repeated verdict changes nothing)."""
    if rules.barred(account, now):
        return None
    deltas = {day: -points for day, points in sorted(account.buckets.items()) if points > 0}
    delta = sum(deltas.values())
    entry = LedgerEntry(
        txn_id=txn_id,
        user_id=account.user_id,
        entry_type="adjust",
        delta=delta,
        balance_after=account.balance + delta,
        buckets={day.isoformat(): v for day, v in deltas.items()},
        reason=FORFEIT_REASON,
        actor=actor,
        reference=reason,
        created_at=iso(now),
    )
    return Posting(
        account=account,
        entry=entry,
        bucket_deltas=deltas,
        emptied=frozenset(deltas),
        next_expiry=None,
        bar=(iso(bar_until), reason),
    )


class Sanctions:
    """The sanction and pending-earn writes of one ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._store = ledger.store

    @staticmethod
    def refuses(account: Account, command: EarnCommand, now: datetime) -> bool:
        return command.entry_type == "earn" and rules.barred(account, now)

    def refuse(self, account: Account, command: EarnCommand, now: datetime) -> Outcome:
        """Records why the earn was not credited (`refused`), once; a txn id applied before the bar
        is `already_applied`."""
        if self._store.entry_exists(command.user_id, command.txn_id):
            return Outcome(status="already_applied", txn_id=command.txn_id)
        assert account.barred_until is not None
        expires = parse_iso(account.barred_until) + timedelta(days=REFUSAL_RETENTION_DAYS)
        reason = f"barred until {account.barred_until}: {account.bar_reason or 'sanctioned'}"
        self._store.record_refusal(
            command.user_id, command.txn_id, reason, iso(now), int(expires.timestamp())
        )
        logger.info(
            "earn refused, account barred", extra={"user_id": command.user_id, "txn_id": command.txn_id}
        )
        return Outcome(status="refused", txn_id=command.txn_id)

    def keep_pending(
        self,
        account: Account,
        command: EarnCommand,
        now: datetime,
        release_at: datetime,
        checks: Sequence[TxAction] = (),
    ) -> None:
        """Holds the earn until `release_at`. Its daily cap is charged now, on the day it was earned
        (a cap counter does not outlive the delay), so the released earn carries no cap.

        Raises:
            LimitReachedError: the cap is full. AlreadyAppliedError, StaleAccountError: as the store.
        """
        cap = None
        if command.cap is not None:
            day = business_day(command.occurred_at or now)
            cap = rules.cap_charge(command.cap.rule, command.cap.limit, command.points, day)
        hold = Hold(
            command=command.model_copy(update={"cap": None}), held_at=iso(now), release_at=iso(release_at)
        )
        self._store.put_pending_hold(hold, account, cap, checks)

    def sanction(
        self,
        user_id: str,
        txn_id: str,
        reason: str,
        actor: str,
        now: datetime,
        bar_days: int,
        guard: Guard | None = None,
        audit: Callable[[Posting], TxAction] | None = None,
    ) -> Outcome:
        """Forfeits every point, drops the held and pending earns (recorded) and bars earning for
        `bar_days`; `unchanged` while a bar is in force.

        Raises:
            EarnloopError: whatever the guard raises; ConcurrencyError: too many concurrent writers.
        """
        from earnloop.points.service import Guard

        holds = self._store.holds(user_id)[:MAX_DROPPED_HOLDS]
        bar_until = now + timedelta(days=bar_days)
        record = {
            "pk": f"ACCT#{user_id}",
            "sk": f"SANCTION#{txn_id}",
            "entity": "Sanction",
            "user_id": user_id,
            "txn_id": txn_id,
            "reason": reason,
            "actor": actor,
            "barred_until": iso(bar_until),
            "dropped_holds": [{"txn_id": h.command.txn_id, "points": h.command.points} for h in holds],
            "created_at": iso(now),
        }
        actions = [
            *(guard.checks if guard is not None else ()),
            *(self._store.hold_delete_action(user_id, h.command.txn_id) for h in holds),
            self._store.record_put_action(record),
        ]
        verify = guard.verify if guard is not None else (lambda: None)
        return self._ledger.post(
            user_id,
            txn_id,
            lambda account: plan_forfeit(account, txn_id, reason, actor, now, bar_until),
            Guard(actions, verify),
            audit,
        )
