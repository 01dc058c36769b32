"""The ledger's use cases over an in-memory store: idempotency, holds, caps, retries."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from earnloop.codes.events import ScanClaimed
from earnloop.platform.errors import (
    AccountFrozenError,
    ConcurrencyError,
    InsufficientPointsError,
    LimitReachedError,
)
from earnloop.points import rules
from earnloop.points.events import PointsChanged
from earnloop.points.models import DailyCap, EarnCommand, Hold, SpendCommand
from earnloop.points.service import Ledger
from earnloop.points.worker import credit_scan, release_on_unfreeze

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def earn(txn_id: str, points: int = 10, user: str = "u", cap: DailyCap | None = None) -> EarnCommand:
    return EarnCommand(txn_id=txn_id, user_id=user, points=points, reason="scan", cap=cap)


def spend(txn_id: str, points: int, user: str = "u") -> SpendCommand:
    return SpendCommand(txn_id=txn_id, user_id=user, points=points, reason="mall", actor=user)


def assert_consistent(store, user: str = "u") -> None:
    account = store.account(user)
    entries = store.ledger_of(user)
    assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries)
    assert account.balance >= 0
    assert account.next_expiry == rules.earliest(account.buckets)


def test_a_repeated_txn_id_is_reported_as_already_applied_and_credits_once(ledger, store):
    first = ledger.earn(earn("scan#c1", 50), NOW)
    again = ledger.earn(earn("scan#c1", 50), NOW)
    assert (first.status, first.balance) == ("applied", 50)
    assert again.status == "already_applied"
    assert store.account("u").balance == 50 and len(store.ledger_of("u")) == 1


def test_a_lost_race_is_retried_and_balance_after_stays_exact(ledger, store, pauses):
    ledger.earn(earn("scan#first", 5), NOW)
    rivals = iter(["scan#rival1", "scan#rival2"])

    def rival_writes_first(posting):
        txn = next(rivals, None)
        if txn is not None:
            store.before_commit = None
            Ledger(store).earn(earn(txn, 100), NOW)
            store.before_commit = rival_writes_first

    store.before_commit = rival_writes_first
    outcome = ledger.earn(earn("scan#mine", 1), NOW)
    assert outcome.status == "applied" and outcome.entry is not None
    assert outcome.entry.balance_after == 206
    assert len(pauses) == 2
    assert_consistent(store)


def test_the_ledger_gives_up_after_eight_lost_races(ledger, store, pauses):
    def always_lose(posting):
        store.before_commit = None
        Ledger(store).earn(earn(f"scan#rival{len(pauses)}", 1), NOW)
        store.before_commit = always_lose

    store.before_commit = always_lose
    with pytest.raises(ConcurrencyError):
        ledger.earn(earn("scan#mine", 1), NOW)
    assert len(pauses) == 7
    assert ("u", "scan#mine") not in store.entries


def test_earning_while_frozen_is_held_and_released_once_on_unfreeze(ledger, store):
    ledger.earn(earn("scan#before", 10), NOW)
    ledger.freeze("u", "suspected farming", "admin:a", NOW)
    held = ledger.credit(earn("scan#during", 30), NOW)
    assert held.status == "held"
    assert ledger.credit(earn("scan#during", 30), NOW).status == "held"
    assert store.account("u").balance == 10 and len(store.holds("u")) == 1

    ledger.unfreeze("u", "cleared", "admin:a", NOW)
    released = ledger.release_holds("u", NOW)
    assert [o.status for o in released] == ["applied"]
    assert store.account("u").balance == 40 and store.holds("u") == []
    assert ledger.release_holds("u", NOW) == []
    assert ledger.credit(earn("scan#during", 30), NOW).status == "already_applied"
    assert_consistent(store)


def test_a_repeat_of_an_applied_earn_while_frozen_is_already_applied_not_held(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    ledger.freeze("u", "review", "admin:a", NOW)
    assert ledger.credit(earn("scan#x", 10), NOW).status == "already_applied"
    assert store.holds("u") == []


def test_a_repeated_spend_is_already_applied_even_once_the_balance_is_too_low(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    ledger.spend(spend("redeem#1", 8), NOW)
    assert ledger.spend(spend("redeem#1", 8), NOW).status == "already_applied"
    ledger.freeze("u", "review", "admin:a", NOW)
    assert ledger.spend(spend("redeem#1", 8), NOW).status == "already_applied"
    assert store.account("u").balance == 2


def test_a_hold_whose_earn_was_applied_meanwhile_is_just_removed(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    store.holds_by_key[("u", "scan#x")] = Hold(command=earn("scan#x", 10), held_at="2026-11-23T09:00:00.000Z")
    assert [o.status for o in ledger.release_holds("u", NOW)] == ["already_applied"]
    assert store.holds("u") == [] and store.account("u").balance == 10


def test_holds_stay_when_the_account_is_frozen_again_before_release(ledger, store):
    ledger.freeze("u", "review", "admin:a", NOW)
    ledger.credit(earn("scan#x", 10), NOW)
    ledger.unfreeze("u", "ok", "admin:a", NOW)
    ledger.freeze("u", "again", "admin:a", NOW)
    assert ledger.release_holds("u", NOW) == []
    assert len(store.holds("u")) == 1 and store.account("u").balance == 0


def test_an_earn_racing_an_unfreeze_is_applied_not_held(ledger, store):
    ledger.freeze("u", "review", "admin:a", NOW)
    original_put_hold = store.put_hold

    def unfrozen_meanwhile(hold):
        store.put_hold = original_put_hold
        Ledger(store).unfreeze("u", "ok", "admin:a", NOW)
        return original_put_hold(hold)

    store.put_hold = unfrozen_meanwhile
    assert ledger.credit(earn("scan#x", 10), NOW).status == "applied"
    assert store.holds("u") == [] and store.account("u").balance == 10


def test_a_frozen_account_cannot_spend(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    ledger.freeze("u", "review", "admin:a", NOW)
    with pytest.raises(AccountFrozenError):
        ledger.spend(spend("redeem#1", 5), NOW)
    assert store.account("u").balance == 10


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    with pytest.raises(InsufficientPointsError):
        ledger.spend(spend("redeem#1", 11), NOW)
    with pytest.raises(InsufficientPointsError):
        ledger.spend(spend("redeem#2", 1, user="nobody"), NOW)
    assert store.account("u").balance == 10 and len(store.ledger_of("u")) == 1


def test_a_spend_is_applied_once_per_txn_id(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    assert ledger.spend(spend("redeem#1", 4), NOW).status == "applied"
    assert ledger.spend(spend("redeem#1", 4), NOW).status == "already_applied"
    assert store.account("u").balance == 6
    assert_consistent(store)


def test_a_daily_cap_refuses_the_earn_that_would_exceed_it(ledger, store):
    cap = DailyCap(rule="like_received", limit=5)
    ledger.earn(earn("like#1", 2, cap=cap), NOW)
    ledger.earn(earn("like#2", 3, cap=cap), NOW)
    with pytest.raises(LimitReachedError):
        ledger.earn(earn("like#3", 1, cap=cap), NOW)
    # Another business day has its own counter.
    ledger.earn(earn("like#4", 5, cap=cap), datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert store.account("u").balance == 10


def test_a_held_earn_over_its_cap_is_dropped_on_release(ledger, store):
    cap = DailyCap(rule="like_received", limit=5)
    ledger.freeze("u", "review", "admin:a", NOW)
    ledger.credit(earn("like#1", 4, cap=cap), NOW)
    ledger.credit(earn("like#2", 4, cap=cap), NOW)
    ledger.unfreeze("u", "ok", "admin:a", NOW)
    assert [o.status for o in ledger.release_holds("u", NOW)] == ["applied"]
    assert store.holds("u") == [] and store.account("u").balance == 4


def test_expiry_with_nothing_due_writes_nothing(ledger, store):
    ledger.earn(earn("scan#x", 10), NOW)
    assert ledger.expire("u", date(2027, 11, 30), NOW).status == "nothing_due"
    outcome = ledger.expire("u", date(2027, 12, 1), NOW)
    assert outcome.status == "applied" and outcome.txn_id == "expire#u#2027-12-01"
    assert store.account("u").balance == 0 and store.account("u").next_expiry is None
    assert_consistent(store)


def test_freezing_twice_writes_one_entry(ledger, store):
    assert ledger.freeze("u", "review", "admin:a", NOW).status == "applied"
    assert ledger.freeze("u", "review", "admin:a", NOW).status == "unchanged"
    assert [e.entry_type for e in store.ledger_of("u")] == ["freeze"]
    assert store.account("u").frozen


def test_concurrent_earns_on_one_account_lose_no_point(store):
    ledger = Ledger(store, pause=lambda attempt: None, max_attempts=1000)
    threads = [
        threading.Thread(target=lambda t=t: [ledger.earn(earn(f"t{t}#{i}", 1), NOW) for i in range(50)])
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.account("u").balance == 200
    assert sorted(e.balance_after for e in store.ledger_of("u")) == list(range(1, 201))


def scan(points: int = 50) -> ScanClaimed:
    return ScanClaimed(
        scan_id="B-31",
        code="B.31.MAC",
        batch_id="B",
        serial=31,
        user_id="u",
        points=points,
        sku="SKU",
        product_name="Yogurt",
        tags=[],
        claimed_at="2026-11-23T09:00:00.000Z",
    )


def test_the_worker_credits_a_scan_under_its_code_and_ignores_redelivery(ledger, store):
    credit_scan(scan(), ledger)
    credit_scan(scan(), ledger)
    (entry,) = store.ledger_of("u")
    assert (entry.txn_id, entry.reference, entry.reason, entry.actor) == (
        "scan#B.31.MAC",
        "B-31",
        "scan",
        "system",
    )
    assert store.account("u").balance == 50


def test_the_worker_skips_a_scan_worth_no_points(ledger, store):
    credit_scan(scan(points=0), ledger)
    assert store.ledger_of("u") == []


def test_the_worker_releases_holds_only_on_an_unfreeze_event(ledger, store):
    ledger.freeze("u", "review", "admin:a", NOW)
    credit_scan(scan(), ledger)
    unfreeze = ledger.unfreeze("u", "ok", "admin:a", NOW)
    assert unfreeze.entry is not None
    event = PointsChanged.model_validate(unfreeze.entry.model_dump())
    release_on_unfreeze(event.model_copy(update={"entry_type": "freeze"}), ledger)
    assert len(store.holds("u")) == 1
    release_on_unfreeze(event, ledger)
    assert store.holds("u") == [] and store.account("u").balance == 50


def test_a_held_earn_counts_against_the_cap_of_the_day_it_was_earned(ledger, store):
    cap = DailyCap(rule="like_received", limit=5)
    ledger.earn(earn("like#1", 5, cap=cap), NOW)
    ledger.freeze("u", "review", "admin:a", NOW)
    ledger.credit(earn("like#2", 1, cap=cap), NOW)
    ledger.unfreeze("u", "ok", "admin:a", NOW)
    next_day = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert ledger.release_holds("u", next_day) == []
    assert store.holds("u") == [] and store.account("u").balance == 5


def test_a_pending_policy_costs_an_earn_no_read_of_its_own(store, pauses) -> None:
    from earnloop.points.pending import PendingPolicy

    store.accounts["u"] = store.account("u").model_copy(
        update={"version": 1, "opened_at": "2026-01-01T00:00:00.000Z", "risk_rank": 0}
    )
    reads: list[str] = []
    read = store.account

    def counted(user_id: str, *, consistent: bool = True):
        reads.append(user_id)
        return read(user_id, consistent=consistent)

    store.account = counted
    ledger = Ledger(store, pause=pauses.append, pending=PendingPolicy(delay_hours=72, risky_delay_hours=72))
    outcome = ledger.credit(earn("scan#old-and-calm"), NOW)
    assert outcome.status == "applied" and reads == ["u"]  # the earn's own read decided
