"""Pending points: the earns of a new account are held, not spendable, until a delay has passed.

A pending earn is a hold (`HOLD#<txn-id>`, the same item an earn of a frozen account becomes) with
a `release_at`; the release schedule (points/pending_release.py) credits it under its own txn id
then, deleting the hold in the same transaction, so a release applies at most once however often
it runs. A sanction drops the holds instead (points/sanctions.py). See docs/decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.platform.clock import parse_iso

if TYPE_CHECKING:
    from earnloop.platform.settings import Settings
    from earnloop.points.models import Account, EarnCommand


@dataclass(frozen=True)
class PendingPolicy:
    """Earns of an account younger than `new_account_days` wait `delay_hours` (0: never pending)."""

    delay_hours: int = 0
    new_account_days: int = 7

    @classmethod
    def from_settings(cls, settings: Settings) -> PendingPolicy:
        return cls(settings.pending_delay_hours, settings.pending_new_account_days)

    def release_at(self, account: Account, command: EarnCommand, now: datetime) -> datetime | None:
        """When `command` may be credited if it must wait, else None (credit it now). Only rule
        earns wait: a refund gives back what the user had."""
        if not self.delay_hours or command.entry_type != "earn":
            return None
        if account.exists and account.opened_at is None:
            # Opened before accounts recorded their age: not new.
            return None
        opened = parse_iso(account.opened_at) if account.opened_at else now
        if now - opened >= timedelta(days=self.new_account_days):
            return None
        return now + timedelta(hours=self.delay_hours)
