"""An in-memory points store honouring the same conditions as `points.store.PointsStore`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from earnloop.platform.errors import LimitReachedError
from earnloop.points.models import Account, Hold, LedgerEntry, Posting
from earnloop.points.rules import apply_deltas
from earnloop.points.service import Ledger
from earnloop.points.store import AlreadyAppliedError, StaleAccountError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date


class FakePointsStore:
    """Accounts, entries, holds and cap counters in dicts; each commit is atomic under one lock.

    `before_commit` runs just before a commit takes the lock, so a test can slip a rival write in
    between the ledger's read and its write (a lost race), as another Lambda would.
    """

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.entries: dict[tuple[str, str], LedgerEntry] = {}
        self.holds_by_key: dict[tuple[str, str], Hold] = {}
        self.caps: dict[tuple[str, str, date], int] = {}
        self.before_commit: Callable[[Posting], None] | None = None
        self.commits = 0
        self._lock = threading.Lock()

    def account(self, user_id: str, *, consistent: bool = True) -> Account:
        return self.accounts.get(user_id, Account(user_id=user_id))

    def commit(self, posting: Posting, checks: Sequence[object] = ()) -> None:
        # `checks` are DynamoDB ConditionChecks on other tables: the integration tests cover them.
        if self.before_commit is not None:
            self.before_commit(posting)
        entry, user = posting.entry, posting.account.user_id
        with self._lock:
            if (user, entry.txn_id) in self.entries:
                raise AlreadyAppliedError()
            current = self.accounts.get(user)
            if (current.version if current else None) != posting.seen_version:
                raise StaleAccountError()
            if current is not None and entry.entry_type in ("earn", "refund", "spend"):
                assert not current.frozen and current.balance + min(entry.delta, 0) >= 0
            cap_key = None
            if posting.cap is not None:
                cap_key = (user, posting.cap.rule, posting.cap.day)
                if self.caps.get(cap_key, 0) > posting.cap.ceiling:
                    raise LimitReachedError()
            base = current or Account(user_id=user)
            self.accounts[user] = base.model_copy(
                update={
                    "balance": base.balance + entry.delta,
                    "lifetime_earned": base.lifetime_earned + posting.lifetime_delta,
                    "status": posting.new_status or base.status,
                    "version": (base.version or 0) + 1,
                    "buckets": apply_deltas(base.buckets, posting.bucket_deltas),
                    "next_expiry": posting.next_expiry,
                    "debt": base.debt + posting.debt_delta,
                    "tier": posting.promotion[1] if posting.promotion else base.tier,
                }
            )
            self.entries[(user, entry.txn_id)] = entry
            if cap_key is not None and posting.cap is not None:
                self.caps[cap_key] = self.caps.get(cap_key, 0) + posting.cap.points
            if posting.release_hold:
                self.holds_by_key.pop((user, entry.txn_id), None)
            self.commits += 1

    def entry_exists(self, user_id: str, txn_id: str) -> bool:
        return (user_id, txn_id) in self.entries

    def put_hold(self, hold: Hold) -> bool:
        user = hold.command.user_id
        with self._lock:
            if (user, hold.command.txn_id) in self.entries:
                raise AlreadyAppliedError()
            if not self.account(user).frozen:
                raise StaleAccountError()
            key = (user, hold.command.txn_id)
            if key in self.holds_by_key:
                return False
            self.holds_by_key[key] = hold
            return True

    def holds(self, user_id: str) -> list[Hold]:
        return [h for (user, _), h in sorted(self.holds_by_key.items()) if user == user_id]

    def delete_hold(self, user_id: str, txn_id: str) -> None:
        self.holds_by_key.pop((user_id, txn_id), None)

    def history(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        mine = sorted(
            (e for (user, _), e in self.entries.items() if user == user_id),
            key=lambda e: (e.created_at, e.txn_id),
            reverse=True,
        )
        return mine[:limit], None

    def ledger_of(self, user_id: str) -> list[LedgerEntry]:
        return [e for (user, _), e in self.entries.items() if user == user_id]


@pytest.fixture(autouse=True)
def default_earning_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests have no table: every earning rule is its code default (the integration tests
    read the stored rules)."""
    from earnloop.points import earning_rules

    monkeypatch.setattr(earning_rules, "_load", lambda key: earning_rules.DEFAULTS[key.split("|")[1]])  # type: ignore[index]
    earning_rules.forget_cached_rules()


@pytest.fixture
def store() -> FakePointsStore:
    return FakePointsStore()


@pytest.fixture
def pauses() -> list[int]:
    return []


@pytest.fixture
def ledger(store: FakePointsStore, pauses: list[int]) -> Ledger:
    return Ledger(store, expiry_months=12, pause=pauses.append)
