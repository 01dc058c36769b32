"""Tiers: the ladder, the multiplier a rule earn gets from the account as read, promotions, and the
TierChanged a committed promotion derives. Over the in-memory store of `conftest.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.events import Change
from earnloop.platform.settings import Settings
from earnloop.points import rules
from earnloop.points.events import TierChanged, derive
from earnloop.points.models import Account, DailyCap, EarnCommand, Posting
from earnloop.points.service import Ledger
from earnloop.points.tiers import DEFAULT_LADDER, TierLadder, multiplied
from pydantic import ValidationError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rule_earn(txn_id: str, points: int, cap: DailyCap | None = None, user: str = "u") -> EarnCommand:
    return EarnCommand(txn_id=txn_id, user_id=user, points=points, reason="scan", cap=cap, tiered=True)


def test_the_default_ladder_is_bronze_silver_gold_by_lifetime_points():
    names = [DEFAULT_LADDER.reached(n).name for n in (0, 999, 1000, 4999, 5000, 10**9)]
    assert names == ["bronze", "bronze", "silver", "silver", "gold", "gold"]
    assert [t.multiplier for t in DEFAULT_LADDER.tiers] == [Decimal("1.0"), Decimal("1.2"), Decimal("1.5")]


@pytest.mark.parametrize(
    ("points", "multiplier", "paid"),
    [(10, "1.2", 12), (3, "1.5", 4), (7, "1.15", 8), (100, "1.15", 115), (1, "1.2", 1), (5, "1.0", 5)],
)
def test_the_multiplier_rounds_down_exactly(points, multiplier, paid):
    # 100 * 1.15 is 114.99999999999999 in binary floating point: Decimal keeps it 115.
    assert multiplied(points, Decimal(multiplier)) == paid


def test_tiers_are_configurable_through_the_environment_and_checked_at_cold_start(monkeypatch):
    monkeypatch.setenv(
        "EARNLOOP_TIERS",
        '[{"name": "bronze", "threshold": 0, "multiplier": 1},'
        ' {"name": "vip", "threshold": 50, "multiplier": 2.5}]',
    )
    ladder = TierLadder.from_settings(Settings())
    assert (ladder.reached(49).name, ladder.reached(50).name, ladder.reached(50).multiplier) == (
        "bronze",
        "vip",
        Decimal("2.5"),
    )
    for bad in (
        '[{"name": "bronze", "threshold": 10, "multiplier": 1}]',  # nobody would be in a tier
        '[{"name": "a", "threshold": 0, "multiplier": 1.5}, {"name": "b", "threshold": 9, "multiplier": 1}]',
        '[{"name": "a", "threshold": 0, "multiplier": 1}, {"name": "b", "threshold": 0, "multiplier": 1}]',
        '[{"name": "a", "threshold": 0, "multiplier": 0.5}]',
    ):
        monkeypatch.setenv("EARNLOOP_TIERS", bad)
        with pytest.raises(ValidationError):
            Settings()


def test_a_rule_earn_is_multiplied_by_the_tier_of_the_account_as_read_and_records_its_base():
    silver = Account(user_id="u", balance=0, lifetime_earned=1200, version=3, tier="silver")
    posting = rules.plan_earn(silver, rule_earn("scan#c", 25), NOW, 12)
    entry = posting.entry
    assert (entry.delta, entry.base_points, entry.multiplier, entry.tier) == (
        30,
        25,
        Decimal("1.2"),
        "silver",
    )
    assert posting.lifetime_delta == 30 and posting.promotion is None


def test_refunds_and_untiered_earns_are_never_multiplied():
    gold = Account(user_id="u", balance=100, lifetime_earned=9000, version=3, tier="gold")
    refund = EarnCommand(
        txn_id="refund#o", user_id="u", points=40, reason="refund", entry_type="refund", tiered=True
    )
    gift = EarnCommand(txn_id="wakeup#u#2026-11-01", user_id="u", points=40, reason="gift")
    for command in (refund, gift):
        entry = rules.plan_earn(gold, command, NOW, 12).entry
        assert (entry.delta, entry.base_points, entry.multiplier) == (40, None, None)


def test_an_account_promoted_before_keeps_its_tier_when_thresholds_rise():
    # The brand raised silver to 5000 after this account was promoted at 1200: no demotion.
    ladder = TierLadder.of(
        Settings.model_validate(
            {
                "tiers": [
                    {"name": "bronze", "threshold": 0, "multiplier": 1},
                    {"name": "silver", "threshold": 5000, "multiplier": 1.2},
                ]
            }
        ).tiers
    )
    account = Account(user_id="u", lifetime_earned=1200, version=1, tier="silver")
    posting = rules.plan_earn(account, rule_earn("scan#c", 10), NOW, 12, ladder)
    assert (posting.entry.delta, posting.entry.tier, posting.promotion) == (12, "silver", None)


def test_the_earn_that_crosses_a_threshold_is_paid_at_the_old_tier_and_the_next_at_the_new(store, ledger):
    ledger.earn(EarnCommand(txn_id="seed", user_id="u", points=990, reason="seed"), NOW)
    crossing = ledger.earn(rule_earn("scan#1", 20), NOW)
    after = ledger.earn(rule_earn("scan#2", 20), NOW)

    assert (crossing.entry.delta, crossing.entry.tier) == (20, "bronze")
    assert (after.entry.delta, after.entry.tier) == (24, "silver")
    account = store.account("u")
    assert (account.tier, account.lifetime_earned, account.balance) == ("silver", 1034, 1034)


def test_a_promotion_won_by_a_rival_earn_is_seen_by_the_retry(store, ledger, pauses):
    """Two deliveries of different earns: the second read the account at bronze, the first commits
    the promotion meanwhile; the second's write fails on the version and is planned again at silver."""
    ledger.earn(EarnCommand(txn_id="seed", user_id="u", points=990, reason="seed"), NOW)
    rival = rule_earn("scan#rival", 20)
    planned_at: list[str | None] = []

    def rival_first(posting: Posting) -> None:
        planned_at.append(posting.entry.tier)
        if len(planned_at) == 1:
            ledger.earn(rival, NOW)  # another Lambda commits between our read and our write

    store.before_commit = rival_first
    outcome = ledger.earn(rule_earn("scan#mine", 10), NOW)
    store.before_commit = None

    assert planned_at == ["bronze", "bronze", "silver"]  # ours, the rival's, ours again
    assert pauses == [0]
    assert (outcome.entry.delta, outcome.entry.base_points, outcome.entry.tier) == (12, 10, "silver")
    assert store.entries[("u", "scan#rival")].delta == 20
    assert store.account("u").balance == 990 + 20 + 12


def test_a_redelivered_earn_is_not_multiplied_again(store, ledger):
    ledger.earn(EarnCommand(txn_id="seed", user_id="u", points=1000, reason="seed"), NOW)
    first = ledger.earn(rule_earn("scan#c", 10), NOW)
    again = ledger.earn(rule_earn("scan#c", 10), NOW)
    assert (first.status, first.entry.delta, again.status) == ("applied", 12, "already_applied")
    assert store.account("u").balance == 1012


def test_caps_count_the_base_points_not_the_multiplied(store, ledger):
    ledger.earn(EarnCommand(txn_id="seed", user_id="u", points=5000, reason="seed"), NOW)
    cap = DailyCap(rule="like_given", limit=3)
    paid = [ledger.earn(rule_earn(f"like#{i}", 1, cap), NOW).entry.delta for i in range(3)]
    with pytest.raises(LimitReachedError):
        ledger.earn(rule_earn("like#3", 1, cap), NOW)
    # Gold pays 1.5 rounded down: 1 each; three base points fill the cap of 3.
    assert paid == [1, 1, 1]
    ledger.earn(rule_earn("post#1", 10, DailyCap(rule="post", limit=30)), NOW)
    ledger.earn(rule_earn("post#2", 10, DailyCap(rule="post", limit=30)), NOW)
    last = ledger.earn(rule_earn("post#3", 10, DailyCap(rule="post", limit=30)), NOW)
    assert last.entry.delta == 15
    assert store.caps[("u", "post", NOW.date())] == 30


def test_a_held_earn_is_paid_at_the_tier_of_its_release(store, ledger):
    ledger.earn(EarnCommand(txn_id="seed", user_id="u", points=990, reason="seed"), NOW)
    ledger.freeze("u", "fraud check", "admin", NOW)
    assert ledger.credit(rule_earn("scan#held", 10), NOW).status == "held"
    ledger.unfreeze("u", "cleared", "admin", NOW)
    # Meanwhile (unfrozen, before the worker releases the hold) a refund-free earn promotes.
    ledger.earn(rule_earn("scan#cross", 20), NOW)
    [released] = ledger.release_holds("u", NOW)
    assert (released.entry.delta, released.entry.tier) == (12, "silver")


def account_image(**fields) -> dict:
    return {"pk": "ACCT#u", "sk": "ACCOUNT", "entity": "Account", "user_id": "u", **fields}


def test_tier_changed_is_derived_once_from_the_write_that_promoted():
    before = account_image(lifetime_earned=990, balance=990, version=1)
    promoted = account_image(
        lifetime_earned=1010,
        version=2,
        tier="silver",
        tier_from="bronze",
        tier_changed_at="2026-11-23T09:00:00.000Z",
    )
    later = {**promoted, "lifetime_earned": 1034, "version": 3}

    assert derive(Change("points", "MODIFY", before, promoted)) == [
        TierChanged(
            user_id="u",
            from_tier="bronze",
            to_tier="silver",
            lifetime_earned=1010,
            changed_at="2026-11-23T09:00:00.000Z",
        )
    ]
    assert derive(Change("points", "MODIFY", promoted, later)) == []
    assert derive(Change("points", "MODIFY", before, {**before, "version": 2, "lifetime_earned": 999})) == []
    # A first earn big enough for silver creates the account promoted.
    assert [e.to_tier for e in derive(Change("points", "INSERT", None, promoted))] == ["silver"]  # type: ignore[attr-defined]
    assert derive(Change("points", "REMOVE", promoted, None)) == []


def test_a_ledger_built_from_settings_uses_their_ladder(monkeypatch, store):
    monkeypatch.setenv("EARNLOOP_TIERS", '[{"name": "bronze", "threshold": 0, "multiplier": 2}]')
    ledger = Ledger(store, tiers=TierLadder.from_settings(Settings()))
    assert ledger.earn(rule_earn("scan#c", 10), NOW).entry.delta == 20


def test_a_user_never_promoted_shows_the_first_tier_of_the_settings(monkeypatch):
    from earnloop.identity.models import User
    from earnloop.platform.settings import get_settings

    monkeypatch.setenv("EARNLOOP_TIERS", '[{"name": "member", "threshold": 0, "multiplier": 1}]')
    get_settings.cache_clear()
    try:
        assert User(user_id="u", created_at="2026-11-23T00:00:00.000Z").profile().tier == "member"
    finally:
        monkeypatch.delenv("EARNLOOP_TIERS")
        get_settings.cache_clear()
    assert User(user_id="u", created_at="2026-11-23T00:00:00.000Z").tier == "bronze"
