"""Pending points: the earns of a new or risky account are held, not spendable, until a delay has
passed (risky: WeChat's `getUserRiskRank`, which identity asks at login and the points worker
copies onto the account from `RiskRankChanged`, points/risk_ranks.py).

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


class PendingEarn(Exception):
    """An earn's plan found it must wait: hold it until `release_at`, against `account` as read
    (raised from inside the earn's own read, so deciding costs no read of its own)."""

    def __init__(self, account: Account, release_at: datetime) -> None:
        super().__init__("earn pending")
        self.account = account
        self.release_at = release_at


@dataclass(frozen=True)
class PendingPolicy:
    """Earns of an account younger than `new_account_days` wait `delay_hours` (0: never pending);
    earns of a risky account (WeChat's risk rank at least `risky_rank`) wait `risky_delay_hours`.
    Both apply: the longer wait wins."""

    delay_hours: int = 0
    new_account_days: int = 7
    risky_rank: int = 3
    risky_delay_hours: int = 72

    @classmethod
    def from_settings(cls, settings: Settings) -> PendingPolicy:
        return cls(
            settings.pending_delay_hours,
            settings.pending_new_account_days,
            settings.pending_risky_rank,
            settings.pending_risky_delay_hours,
        )

    @property
    def active(self) -> bool:
        return bool(self.delay_hours or self.risky_delay_hours)

    def risky(self, account: Account) -> bool:
        return account.risk_rank is not None and account.risk_rank >= self.risky_rank

    def release_at(self, account: Account, command: EarnCommand, now: datetime) -> datetime | None:
        """When `command` may be credited if it must wait, else None (credit it now). Only rule
        earns wait: a refund gives back what the user had."""
        if command.entry_type != "earn":
            return None
        hours = [self.risky_delay_hours] if self.risky_delay_hours and self.risky(account) else []
        if self.delay_hours and self._new(account, now):
            hours.append(self.delay_hours)
        return now + timedelta(hours=max(hours)) if hours else None

    def _new(self, account: Account, now: datetime) -> bool:
        if account.exists and account.opened_at is None:
            # Opened before accounts recorded their age: not new.
            return False
        opened = parse_iso(account.opened_at) if account.opened_at else now
        return now - opened < timedelta(days=self.new_account_days)
