"""Pure ledger rules: expiry dates, buckets, caps, tiers, and the postings commands make."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from earnloop.platform.errors import AccountFrozenError, InsufficientPointsError, LimitReachedError
from earnloop.points import rules
from earnloop.points.models import Account, DailyCap, EarnCommand, SpendCommand
from hypothesis import given
from hypothesis import strategies as st

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("earned_on", "months", "expires"),
    [
        (date(2026, 11, 23), 12, date(2027, 11, 30)),
        (date(2026, 11, 1), 12, date(2027, 11, 30)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        # Into a leap February, and out of one.
        (date(2027, 2, 15), 12, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2027, 1, 31), 13, date(2028, 2, 29)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),
        (date(2026, 6, 30), 0, date(2026, 6, 30)),
    ],
)
def test_points_expire_at_the_end_of_the_month_so_many_months_later(earned_on, months, expires):
    assert rules.expiry_date(earned_on, months) == expires


def test_the_bucket_follows_the_shanghai_business_day_not_the_utc_date():
    # 2026-11-30T16:30Z is already 2026-12-01 in Shanghai: December's points, a month later expiry.
    assert rules.bucket_for(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), 12) == date(2027, 11, 30)
    assert rules.bucket_for(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), 12) == date(2027, 12, 31)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)), st.integers(0, 60))
def test_an_expiry_date_is_always_a_month_end_after_the_earning_day(earned_on, months):
    expires = rules.expiry_date(earned_on, months)
    assert expires >= earned_on
    assert (expires.year * 12 + expires.month) - (earned_on.year * 12 + earned_on.month) == months
    assert date.fromordinal(expires.toordinal() + 1).day == 1


def test_spending_takes_the_earliest_expiring_bucket_first_whatever_the_insertion_order():
    buckets = {date(2027, 12, 31): 30, date(2027, 10, 31): 20, date(2027, 11, 30): 50}
    assert rules.take_oldest_first(buckets, 60) == {date(2027, 10, 31): -20, date(2027, 11, 30): -40}


def test_spending_exactly_the_balance_empties_every_bucket():
    buckets = {date(2027, 11, 30): 5, date(2027, 12, 31): 7}
    assert rules.take_oldest_first(buckets, 12) == {date(2027, 11, 30): -5, date(2027, 12, 31): -7}


def test_spending_more_than_the_buckets_hold_is_refused():
    with pytest.raises(InsufficientPointsError):
        rules.take_oldest_first({date(2027, 11, 30): 5}, 6)


@given(
    st.dictionaries(st.dates(date(2027, 1, 1), date(2030, 1, 1)), st.integers(1, 500), max_size=6),
    st.integers(1, 3000),
)
def test_a_spend_takes_exactly_the_amount_and_never_a_later_bucket_before_an_earlier_one(buckets, amount):
    if amount > sum(buckets.values()):
        with pytest.raises(InsufficientPointsError):
            rules.take_oldest_first(buckets, amount)
        return
    taken = rules.take_oldest_first(buckets, amount)
    assert -sum(taken.values()) == amount
    after = rules.apply_deltas(buckets, taken)
    assert all(v > 0 for v in after.values())
    if after:
        # Every bucket left untouched or partly used expires no earlier than every emptied one.
        emptied = [d for d in taken if d not in after]
        assert all(e < min(after) for e in emptied)


def test_buckets_due_are_those_whose_last_valid_day_is_before_the_date():
    buckets = {date(2027, 11, 30): 5, date(2027, 12, 31): 7}
    assert rules.due_buckets(buckets, date(2027, 11, 30)) == {}
    assert rules.due_buckets(buckets, date(2027, 12, 1)) == {date(2027, 11, 30): -5}


def test_expiring_soon_counts_buckets_within_thirty_days_including_overdue_ones():
    buckets = {
        date(2026, 11, 30): 1,
        date(2026, 12, 23): 10,
        date(2026, 12, 24): 100,
        date(2026, 11, 20): 1000,
    }
    assert rules.expiring_within(buckets, date(2026, 11, 23)) == 1011


def test_expiry_shard_is_stable_and_in_range():
    assert rules.expiry_shard("01JDQ3Z8V7X6M5N4B3C2A1Z0YX", 8) == rules.expiry_shard(
        "01JDQ3Z8V7X6M5N4B3C2A1Z0YX", 8
    )
    assert {rules.expiry_shard(f"user-{i}", 8) for i in range(200)} == set(range(8))


def test_a_cap_charge_leaves_room_only_up_to_the_limit():
    charge = rules.cap_charge("like_received", 20, 5, date(2026, 11, 23))
    assert charge.ceiling == 15
    # The counter outlives its business day (Shanghai) by two days before TTL may delete it.
    assert datetime.fromtimestamp(charge.expires_at, UTC) == datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)


def test_a_single_earn_above_the_cap_is_refused():
    with pytest.raises(LimitReachedError):
        rules.cap_charge("like_received", 20, 21, date(2026, 11, 23))


def test_an_earn_caps_on_the_business_day_it_happened():
    command = EarnCommand(
        txn_id="like#p#u",
        user_id="u",
        points=2,
        reason="like",
        cap=DailyCap(rule="like_received", limit=10),
        occurred_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
    )
    posting = rules.plan_earn(Account(user_id="u"), command, NOW, 12)
    assert posting.cap is not None and posting.cap.day == date(2026, 12, 1)


def test_an_earn_on_a_new_account_creates_it_with_one_bucket():
    command = EarnCommand(txn_id="scan#c", user_id="u", points=50, reason="scan")
    posting = rules.plan_earn(Account(user_id="u"), command, NOW, 12)
    assert posting.seen_version is None
    assert posting.entry.balance_after == 50 and posting.entry.buckets == {"2027-11-30": 50}
    assert posting.next_expiry == date(2027, 11, 30) and posting.lifetime_delta == 50


def test_an_earn_keeps_the_earlier_next_expiry():
    account = Account(
        user_id="u", balance=5, version=3, buckets={date(2027, 1, 31): 5}, next_expiry=date(2027, 1, 31)
    )
    posting = rules.plan_earn(account, EarnCommand(txn_id="t", user_id="u", points=1, reason="r"), NOW, 12)
    assert posting.next_expiry == date(2027, 1, 31) and posting.entry.balance_after == 6


def test_a_refund_credits_without_counting_as_earned():
    command = EarnCommand(txn_id="refund#o", user_id="u", points=9, reason="refund", entry_type="refund")
    posting = rules.plan_earn(Account(user_id="u"), command, NOW, 12)
    assert posting.entry.entry_type == "refund" and posting.lifetime_delta == 0


def test_a_frozen_account_neither_earns_nor_spends():
    frozen = Account(user_id="u", balance=10, status="frozen", version=1, buckets={date(2027, 11, 30): 10})
    with pytest.raises(AccountFrozenError):
        rules.plan_earn(frozen, EarnCommand(txn_id="t", user_id="u", points=1, reason="r"), NOW, 12)
    with pytest.raises(AccountFrozenError):
        rules.plan_spend(frozen, SpendCommand(txn_id="s", user_id="u", points=1, reason="r", actor="u"), NOW)


def test_a_spend_empties_the_earliest_bucket_and_moves_next_expiry_on():
    account = Account(
        user_id="u",
        balance=80,
        version=2,
        buckets={date(2027, 11, 30): 50, date(2027, 12, 31): 30},
        next_expiry=date(2027, 11, 30),
    )
    posting = rules.plan_spend(
        account, SpendCommand(txn_id="s", user_id="u", points=60, reason="r", actor="u"), NOW
    )
    assert posting.entry.delta == -60 and posting.entry.balance_after == 20
    assert posting.emptied == {date(2027, 11, 30)}
    assert posting.next_expiry == date(2027, 12, 31)


def test_expiring_everything_clears_next_expiry():
    account = Account(
        user_id="u", balance=5, version=2, buckets={date(2027, 11, 30): 5}, next_expiry=date(2027, 11, 30)
    )
    posting = rules.plan_expire(account, date(2027, 12, 1), NOW)
    assert posting is not None
    assert posting.entry.txn_id == "expire#u#2027-12-01" and posting.entry.delta == -5
    assert posting.next_expiry is None
    assert rules.plan_expire(account, date(2027, 11, 30), NOW) is None


def test_a_frozen_account_still_expires():
    account = Account(user_id="u", balance=5, status="frozen", version=2, buckets={date(2027, 11, 30): 5})
    assert rules.plan_expire(account, date(2027, 12, 1), NOW) is not None


def test_freezing_a_frozen_account_changes_nothing():
    account = Account(user_id="u", status="frozen", version=1)
    assert rules.plan_status(account, "frozen", "freeze#1", "again", "admin:a", NOW) is None
    posting = rules.plan_status(account, "active", "unfreeze#1", "cleared", "admin:a", NOW)
    assert posting is not None and posting.entry.entry_type == "unfreeze" and posting.entry.delta == 0
