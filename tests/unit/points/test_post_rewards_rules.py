"""Points for posting on the in-memory ledger: whatever mix of post earns, spends and takedowns,
the ledger's invariants hold and a debt is exactly what the balance could not give back."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from earnloop.platform.errors import InsufficientPointsError
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.post_rewards import POST_POINTS, clawback_txn_id, earned_by, plan_clawback, post_txn_id
from earnloop.points.service import Ledger
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.points.conftest import FakePointsStore

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

# (kind, post or amount): a post's earn, a spend, a post's takedown.
Op = st.one_of(
    st.tuples(st.just("publish"), st.integers(0, 5)),
    st.tuples(st.just("spend"), st.integers(1, 25)),
    st.tuples(st.just("take_down"), st.integers(0, 5)),
)


def publish(ledger: Ledger, post: int, day: int) -> None:
    command = EarnCommand(txn_id=post_txn_id(f"P{post}"), user_id="u", points=POST_POINTS, reason="post")
    ledger.earn(command, NOW + timedelta(days=day))


def take_down(ledger: Ledger, store: FakePointsStore, post: int) -> None:
    earned = earned_by(store.entries.get(("u", post_txn_id(f"P{post}"))))
    ledger.apply("u", clawback_txn_id(f"P{post}"), lambda a: plan_clawback(a, f"P{post}", earned, NOW))


@settings(max_examples=150, deadline=None)
@given(st.lists(Op, max_size=25))
def test_any_mix_keeps_balance_buckets_entries_and_debt_consistent(ops: list[tuple[str, int]]) -> None:
    store = FakePointsStore()
    ledger = Ledger(store, pause=lambda _: None)
    for day, (kind, value) in enumerate(ops):
        if kind == "publish":
            publish(ledger, value, day)
        elif kind == "spend":
            with contextlib.suppress(InsufficientPointsError):
                ledger.spend(
                    SpendCommand(txn_id=f"s{day}", user_id="u", points=value, reason="m", actor="u"), NOW
                )
        else:
            take_down(ledger, store, value)

        account = store.account("u")
        entries = store.ledger_of("u")
        assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries)
        assert account.balance >= 0 and account.debt >= 0
        assert account.debt == sum(e.debt_delta or 0 for e in entries)
        # Each post is given back at most once, and never more than it earned.
        for entry in entries:
            if entry.txn_id.startswith("clawback#"):
                earned = earned_by(store.entries.get(("u", "post#" + entry.txn_id.split("#", 1)[1])))
                assert -entry.delta + (entry.debt_delta or 0) <= earned


def test_an_earn_repays_the_debt_first_and_counts_in_full_as_earned() -> None:
    store = FakePointsStore()
    ledger = Ledger(store, pause=lambda _: None)
    publish(ledger, 1, 0)
    ledger.spend(SpendCommand(txn_id="s", user_id="u", points=POST_POINTS, reason="m", actor="u"), NOW)
    take_down(ledger, store, 1)
    assert (store.account("u").balance, store.account("u").debt) == (0, POST_POINTS)

    publish(ledger, 2, 1)

    account = store.account("u")
    assert (account.balance, account.debt, account.lifetime_earned) == (0, 0, 2 * POST_POINTS)
    repaid = store.entries[("u", post_txn_id("P2"))]
    assert (repaid.delta, repaid.debt_delta, repaid.buckets) == (0, -POST_POINTS, {})
