"""Concurrent redemptions on DynamoDB Local (moto's transactions are not thread-safe): the last
units of a sharded reward, a buyer racing himself past his balance, and one key sent three times."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.mall import service
from earnloop.mall.models import RedemptionCreate, RewardCreate
from earnloop.mall.service import Mall
from earnloop.mall.store import MallStore
from earnloop.platform.errors import EarnloopError
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
STOCK = 4
BUYERS = 7
PRICE = 30


@pytest.fixture(autouse=True)
def _on_dynamodb_local(cloud: LocalCloud) -> None:
    # moto restores a whole table when a transaction fails: threads there would prove nothing.
    if cloud.fallback_reason:
        pytest.skip(cloud.fallback_reason)


def _run(jobs: list[Any]) -> list[Any]:
    """Runs every job in its own thread at once; each result is the job's value or its error."""
    results: list[Any] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = jobs[index]()
        except EarnloopError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _fund(user_id: str, points: int) -> None:
    Ledger(PointsStore.default()).earn(
        EarnCommand(txn_id=f"scan#{user_id}", user_id=user_id, points=points, reason="scan"), NOW
    )


def _check_ledger_and_orders(mall: Mall, user_id: str) -> int:
    """Every spend has its order and every order its spend; the balance is exact and not negative.
    Returns the user's order count."""
    account = mall.points.account(user_id)
    entries = mall.points.entries(user_id)
    orders, _ = mall.store.orders_of(user_id, 100, None)
    assert account.balance >= 0
    assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries)
    spends = {e.txn_id: e for e in entries if e.entry_type == "spend"}
    assert sorted(spends) == sorted(o.spend_txn_id for o in orders)
    for order in orders:
        assert spends[order.spend_txn_id].reference == order.order_id
        assert -spends[order.spend_txn_id].delta == order.points
    return len(orders)


def test_a_crowd_buys_the_last_units_and_nothing_is_oversold_or_half_applied(cloud: LocalCloud) -> None:
    mall = Mall.build(MallStore.default(), PointsStore.default())
    reward = service.create_reward(
        mall, RewardCreate(name="Flash pack", kind="virtual", points=PRICE, stock=STOCK, flash=True), NOW
    )
    assert reward.stock_shards > 1
    buyers = [f"crowd-{reward.reward_id}-{i}" for i in range(BUYERS)]
    for buyer in buyers:
        _fund(buyer, 100)
    request = RedemptionCreate(reward_id=reward.reward_id)

    results = _run([lambda b=b: service.redeem(mall, b, "key-crowd-1", request, NOW) for b in buyers])

    outcomes = Counter(type(r).__name__ if isinstance(r, Exception) else "placed" for r in results)
    assert outcomes == {"placed": STOCK, "OutOfStockError": BUYERS - STOCK}, outcomes
    levels = mall.stock.levels(reward.reward_id, reward.stock_shards, consistent=True)
    assert all(units >= 0 for units in levels.values()) and sum(levels.values()) == 0
    assert sum(_check_ledger_and_orders(mall, b) for b in buyers) == STOCK


def test_one_buyer_racing_himself_past_his_balance_spends_at_most_what_he_has(cloud: LocalCloud) -> None:
    mall = Mall.build(MallStore.default(), PointsStore.default())
    reward = service.create_reward(
        mall, RewardCreate(name="Pack", kind="virtual", points=PRICE, stock=50), NOW
    )
    buyer = f"racer-{reward.reward_id}"
    _fund(buyer, 2 * PRICE + 10)
    request = RedemptionCreate(reward_id=reward.reward_id)

    results = _run(
        [lambda i=i: service.redeem(mall, buyer, f"key-race-{i:03d}", request, NOW) for i in range(5)]
    )

    outcomes = Counter(type(r).__name__ if isinstance(r, Exception) else "placed" for r in results)
    assert outcomes == {"placed": 2, "InsufficientPointsError": 3}, outcomes
    assert _check_ledger_and_orders(mall, buyer) == 2
    assert mall.points.account(buyer).balance == 10
    assert mall.stock_left([reward])[reward.reward_id] == 48


def test_one_key_sent_three_times_at_once_makes_one_order(cloud: LocalCloud) -> None:
    mall = Mall.build(MallStore.default(), PointsStore.default())
    reward = service.create_reward(
        mall, RewardCreate(name="Pack", kind="virtual", points=PRICE, stock=5), NOW
    )
    buyer = f"repeat-{reward.reward_id}"
    _fund(buyer, 100)
    request = RedemptionCreate(reward_id=reward.reward_id)

    results = _run([lambda: service.redeem(mall, buyer, "key-same-001", request, NOW) for _ in range(3)])

    assert all(not isinstance(r, Exception) for r in results), results
    assert len({order.order_id for order, _created in results}) == 1
    assert sorted(created for _order, created in results) == [False, False, True]
    assert _check_ledger_and_orders(mall, buyer) == 1
    assert mall.points.account(buyer).balance == 100 - PRICE


def test_three_admins_rejecting_one_order_at_once_refund_it_once(cloud: LocalCloud) -> None:
    mall = Mall.build(MallStore.default(), PointsStore.default())
    reward = service.create_reward(
        mall, RewardCreate(name="Reviewed", kind="virtual", points=PRICE, stock=4, review=True), NOW
    )
    buyer = f"rejected-{reward.reward_id}"
    _fund(buyer, 100)
    order, _ = service.redeem(mall, buyer, "key-reject-01", RedemptionCreate(reward_id=reward.reward_id), NOW)

    results = _run(
        [
            lambda a=a: service.cancel_with_refund(mall, order.order_id, f"admin:{a}", None, NOW)
            for a in range(3)
        ]
    )

    assert [r.status for r in results] == ["cancelled"] * 3, results
    entries = mall.points.entries(buyer)
    assert [e.entry_type for e in entries].count("refund") == 1
    assert mall.points.account(buyer).balance == 100
    assert mall.stock_left([reward])[reward.reward_id] == 4
