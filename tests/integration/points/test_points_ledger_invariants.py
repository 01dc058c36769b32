"""Ledger invariants under random sequences of commands, over the real store and service on moto.

Each example gets a fresh points table (moto's transactions slow down with table size), runs up to
15 random steps (earn, redelivery, spend, repeated spend, freeze, unfreeze, release, expire, time
passing) and after every step checks, for every user, by reading the account and all entries:
balance == sum(buckets) == sum(entry deltas), balance >= 0, lifetime == sum(earns), next_expiry
and the expiry index attributes follow the earliest bucket, the status and held earns are what the
commands made them, and every txn id was applied at most once.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from earnloop.local.provision import table_request
from earnloop.platform import aws
from earnloop.platform.clock import business_day
from earnloop.platform.errors import AccountFrozenError, InsufficientPointsError
from earnloop.points import rules
from earnloop.points.context import CONTEXT as POINTS_CONTEXT
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, account_key, expiry_partition
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.support.lambdas import stored

USERS = ("alice", "bob")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
users = st.sampled_from(USERS)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.table = f"points-{uuid.uuid4().hex[:8]}"
        aws.dynamodb().create_table(**table_request(POINTS_CONTEXT.table, self.table))
        self.store = PointsStore(aws.dynamodb(), self.table)
        self.ledger = Ledger(self.store, pause=lambda attempt: None)
        self.now = START
        self.ids = itertools.count()
        self.balance = dict.fromkeys(USERS, 0)
        self.frozen = dict.fromkeys(USERS, False)
        self.held: dict[str, set[str]] = {u: set() for u in USERS}
        self.applied: dict[str, set[str]] = {u: set() for u in USERS}
        self.earns: list[EarnCommand] = []
        self.spends: list[SpendCommand] = []

    def teardown(self) -> None:
        aws.dynamodb().delete_table(TableName=self.table)

    def _apply_credit(self, command: EarnCommand) -> None:
        outcome = self.ledger.credit(command, self.now)
        user = command.user_id
        if command.txn_id in self.applied[user]:
            assert outcome.status == "already_applied"
        elif self.frozen[user]:
            assert outcome.status == "held"
            self.held[user].add(command.txn_id)
        else:
            assert outcome.status == "applied" and outcome.entry is not None
            self.balance[user] += command.points
            assert outcome.entry.balance_after == self.balance[user]
            self.applied[user].add(command.txn_id)

    @rule(hours=st.integers(1, 24 * 120))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(user=users, points=st.integers(1, 100))
    def earn(self, user: str, points: int) -> None:
        command = EarnCommand(txn_id=f"scan#{next(self.ids)}", user_id=user, points=points, reason="scan")
        self.earns.append(command)
        self._apply_credit(command)

    @precondition(lambda self: self.earns)
    @rule(data=st.data())
    def redeliver_an_earn(self, data: st.DataObject) -> None:
        self._apply_credit(data.draw(st.sampled_from(self.earns)))

    @rule(user=users, points=st.integers(1, 150))
    def spend(self, user: str, points: int) -> None:
        command = SpendCommand(
            txn_id=f"redeem#{next(self.ids)}", user_id=user, points=points, reason="mall", actor=user
        )
        before = self.store.account(user)
        try:
            outcome = self.ledger.spend(command, self.now)
        except AccountFrozenError:
            assert self.frozen[user]
            return
        except InsufficientPointsError:
            assert points > self.balance[user]
            return
        assert not self.frozen[user] and outcome.status == "applied" and outcome.entry is not None
        self.balance[user] -= points
        self.applied[user].add(command.txn_id)
        self.spends.append(command)
        assert outcome.entry.balance_after == self.balance[user]
        # Taken earliest expiry first: every bucket emptied expires before every one left.
        after = self.store.account(user)
        emptied = set(before.buckets) - set(after.buckets)
        assert all(e < min(after.buckets) for e in emptied) if after.buckets else True

    @precondition(lambda self: self.spends)
    @rule(data=st.data())
    def repeat_a_spend(self, data: st.DataObject) -> None:
        command = data.draw(st.sampled_from(self.spends))
        assert self.ledger.spend(command, self.now).status == "already_applied"

    @rule(user=users)
    def freeze(self, user: str) -> None:
        outcome = self.ledger.freeze(user, "review", "admin:a", self.now)
        assert outcome.status == ("unchanged" if self.frozen[user] else "applied")
        self.frozen[user] = True

    @rule(user=users)
    def unfreeze(self, user: str) -> None:
        outcome = self.ledger.unfreeze(user, "cleared", "admin:a", self.now)
        assert outcome.status == ("applied" if self.frozen[user] else "unchanged")
        self.frozen[user] = False

    @rule(user=users)
    def unfreeze_event_arrives(self, user: str) -> None:
        # Delivered any number of times, before or after other commands: only credits while active.
        self.ledger.release_holds(user, self.now)
        if not self.frozen[user]:
            for txn_id in self.held[user]:
                points = next(c.points for c in self.earns if c.txn_id == txn_id)
                self.balance[user] += points
                self.applied[user].add(txn_id)
            self.held[user] = set()

    @rule(user=users)
    def expire(self, user: str) -> None:
        on = business_day(self.now)
        due = rules.due_buckets(self.store.account(user).buckets, on)
        outcome = self.ledger.expire(user, on, self.now)
        if not due:
            assert outcome.status == "nothing_due"
            return
        assert outcome.status == "applied" and outcome.txn_id == f"expire#{user}#{on.isoformat()}"
        self.balance[user] += sum(due.values())
        assert all(d >= on for d in self.store.account(user).buckets)
        assert self.ledger.expire(user, on, self.now).status == "nothing_due"

    @invariant()
    def the_books_balance(self) -> None:
        for user in USERS:
            account = self.store.account(user)
            entries = self.store.entries(user)
            assert account.balance == self.balance[user] >= 0
            assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries)
            assert all(points > 0 for points in account.buckets.values())
            assert account.lifetime_earned == sum(e.delta for e in entries if e.entry_type == "earn")
            assert account.frozen == self.frozen[user]
            credited = [e.txn_id for e in entries if e.entry_type in ("earn", "spend")]
            assert len(credited) == len(set(credited)) and set(credited) == self.applied[user]
            assert {h.command.txn_id for h in self.store.holds(user)} == self.held[user]
            assert account.next_expiry == rules.earliest(account.buckets)
            item = stored(self.table, account_key(user)) or {}
            if account.next_expiry is None:
                assert "exp_pk" not in item
            else:
                shard = rules.expiry_shard(user, 8)
                assert item["exp_pk"] == expiry_partition(account.next_expiry, shard)
                assert user in self.store.accounts_due(account.next_expiry, shard)


@pytest.mark.timeout(120)
def test_random_command_sequences_keep_every_ledger_invariant(moto_cloud):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
