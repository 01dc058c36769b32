"""Pure rules of pending earns and sanctions: who waits, and what a forfeit posting takes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from earnloop.platform.clock import iso
from earnloop.points.models import Account, EarnCommand
from earnloop.points.pending import PendingPolicy
from earnloop.points.rules import EarningBarredError, plan_earn
from earnloop.points.sanctions import plan_forfeit

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
EARN = EarnCommand(txn_id="scan#x", user_id="u1", points=10, reason="scan")


@pytest.mark.parametrize(
    ("account", "command", "waits"),
    [
        (Account(user_id="u1"), EARN, True),  # the first write: new
        (Account(user_id="u1", version=3, opened_at=iso(NOW - timedelta(days=6))), EARN, True),
        (Account(user_id="u1", version=3, opened_at=iso(NOW - timedelta(days=7))), EARN, False),
        (Account(user_id="u1", version=3), EARN, False),  # opened before ages were recorded
        (Account(user_id="u1"), EARN.model_copy(update={"entry_type": "refund"}), False),
    ],
)
def test_only_a_new_accounts_rule_earns_wait(account, command, waits):
    release = PendingPolicy(delay_hours=72, new_account_days=7).release_at(account, command, NOW)
    assert release == (NOW + timedelta(hours=72) if waits else None)


def test_no_delay_means_nothing_waits():
    assert PendingPolicy().release_at(Account(user_id="u1"), EARN, NOW) is None
    off = PendingPolicy(risky_delay_hours=0)
    assert not off.active and off.release_at(Account(user_id="u1", risk_rank=4), EARN, NOW) is None


@pytest.mark.parametrize(("rank", "waits"), [(None, False), (0, False), (2, False), (3, True), (4, True)])
def test_a_risky_accounts_earns_wait_whatever_its_age(rank, waits):
    old = Account(user_id="u1", version=3, opened_at=iso(NOW - timedelta(days=90)), risk_rank=rank)
    release = PendingPolicy(risky_rank=3, risky_delay_hours=72).release_at(old, EARN, NOW)
    assert release == (NOW + timedelta(hours=72) if waits else None)
    refund = EARN.model_copy(update={"entry_type": "refund"})
    assert PendingPolicy().release_at(old, refund, NOW) is None


def test_a_new_and_risky_account_waits_the_longer_delay():
    new_and_risky = Account(user_id="u1", risk_rank=4)
    policy = PendingPolicy(delay_hours=24, risky_delay_hours=72)
    assert policy.release_at(new_and_risky, EARN, NOW) == NOW + timedelta(hours=72)
    assert PendingPolicy(delay_hours=96).release_at(new_and_risky, EARN, NOW) == NOW + timedelta(hours=96)


def test_a_forfeit_takes_every_bucket_and_sets_the_bar():
    buckets = {date(2027, 11, 30): 50, date(2027, 12, 31): 30}
    account = Account(user_id="u1", balance=80, version=4, buckets=buckets, next_expiry=date(2027, 11, 30))
    until = NOW + timedelta(days=182)
    posting = plan_forfeit(account, "sanction#1", "farming", "admin:a", NOW, until)
    assert posting is not None
    assert (posting.entry.entry_type, posting.entry.reason, posting.entry.delta) == ("adjust", "forfeit", -80)
    assert posting.entry.balance_after == 0 and sum(posting.entry.buckets.values()) == -80
    assert posting.emptied == frozenset(buckets) and posting.next_expiry is None
    assert posting.bar == (iso(until), "farming")


def test_a_barred_account_earns_nothing_and_a_second_verdict_changes_nothing_until_the_bar_ends():
    barred = Account(user_id="u1", version=5, barred_until=iso(NOW + timedelta(days=1)), bar_reason="farming")
    with pytest.raises(EarningBarredError):
        plan_earn(barred, EARN, NOW, 12)
    assert plan_earn(barred, EARN.model_copy(update={"entry_type": "refund"}), NOW, 12).entry.delta == 10
    assert plan_forfeit(barred, "sanction#2", "again", "admin:a", NOW, NOW) is None
    later = NOW + timedelta(days=1, seconds=1)
    assert plan_earn(barred, EARN, later, 12).entry.delta == 10
