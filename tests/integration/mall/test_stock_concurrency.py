"""Sharded stock under a crowd, on DynamoDB Local from threads: never oversold, never below zero,
the last units found in whichever shard holds them, restocks never losing a take."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from earnloop.mall.stock_rules import FLASH_SHARDS
from earnloop.platform.dynamo import transact
from earnloop.platform.errors import OutOfStockError, ValidationFailedError

from tests.integration.mall.stock_harness import (
    Mall,
    Outcome,
    mall_on,
    run_threads,
)
from tests.support.races import race_client

THREADS = 8


@pytest.fixture
def mall(dynamodb_local: str) -> Mall:
    return mall_on(race_client(dynamodb_local, connections=THREADS + 4))


def create(mall: Mall, reward_id: str, total: int, shards: int) -> None:
    transact(mall.ddb, list(mall.stock.create_actions(reward_id, total, shards)))


def sum_parts(outcome: Outcome) -> Counter[int]:
    total: Counter[int] = Counter()
    for order in outcome.orders:
        total.update(order.parts)
    return total


def test_a_crowd_buys_exactly_the_flash_stock_and_no_shard_goes_below_zero(mall: Mall):
    create(mall, "flash", total=24, shards=FLASH_SHARDS)
    outcome = Outcome()
    buyers = iter(range(36))
    lock = threading.Lock()

    def buyer(_: int) -> None:
        while True:
            with lock:
                if next(buyers, None) is None:
                    return
            mall.redeem("flash", 1, FLASH_SHARDS, outcome)

    run_threads(THREADS, buyer)

    assert len(outcome.orders) == 24
    assert outcome.out_of_stock == 12
    assert outcome.gave_up == 0
    levels = mall.shard_levels("flash")
    assert levels == dict.fromkeys(range(FLASH_SHARDS), 0)
    # Every unit a shard gave is in exactly one order, and the orders in the table say the same.
    shards = {int(i["shard"]): int(i["taken"]) for i in mall.items("STOCK#flash#")}
    assert Counter({s: t for s, t in shards.items() if t}) == sum_parts(outcome)
    stored = mall.items("ORDER#")
    assert len(stored) == 24
    assert sum(u for o in stored for _, u in o["parts"]) == 24
    # Once shards ran dry, buyers read the levels and went elsewhere instead of giving up.
    assert outcome.tries.dry_shards > 0


def test_the_last_units_are_found_in_whichever_shards_still_hold_them(mall: Mall):
    create(mall, "tail", total=0, shards=FLASH_SHARDS)
    # Three units left, stranded far apart: shards 3, 9 and 15.
    for shard in (3, 9, 15):
        transact(mall.ddb, list(mall.stock.return_actions("tail", {shard: 1}, FLASH_SHARDS)))
    outcome = Outcome()
    run_threads(6, lambda _: mall.redeem("tail", 1, FLASH_SHARDS, outcome))

    assert len(outcome.orders) == 3
    assert outcome.out_of_stock == 3
    assert sum_parts(outcome) == Counter({3: 1, 9: 1, 15: 1})
    assert sum(mall.shard_levels("tail").values()) == 0


def test_a_take_larger_than_any_one_shard_spans_shards_in_one_transaction(mall: Mall):
    create(mall, "span", total=4, shards=4)  # one unit per shard
    outcome = Outcome()

    taken = mall.redeem("span", 3, 4, outcome)

    assert taken is not None and sum(taken.parts.values()) == 3 and len(taken.parts) == 3
    assert sum(mall.shard_levels("span").values()) == 1
    assert mall.redeem("span", 2, 4, outcome) is None
    assert outcome.out_of_stock == 1
    assert sum(mall.shard_levels("span").values()) == 1  # the refused take changed nothing


def test_restocks_and_reductions_while_a_crowd_buys_never_lose_or_invent_a_unit(mall: Mall):
    shards = 4
    create(mall, "busy", total=20, shards=shards)
    outcome = Outcome()
    changes: list[int] = []

    def work(index: int) -> None:
        if index == 0:
            for delta in (10, -5, 10, -3, 6):
                try:
                    mall.stock.adjust_stock("busy", delta, shards)
                    changes.append(delta)
                except ValidationFailedError:
                    pass  # a reduction of more than was left: refused whole
            return
        for _ in range(10):
            mall.redeem("busy", 1, shards, outcome)

    run_threads(THREADS, work)

    levels = mall.shard_levels("busy")
    assert min(levels.values()) >= 0
    sold = sum(sum(o.parts.values()) for o in outcome.orders)
    assert sold + sum(levels.values()) == 20 + sum(changes)
    assert len(mall.items("ORDER#")) == len(outcome.orders)


def test_set_stock_makes_the_total_what_the_admin_said_and_spreads_it(mall: Mall):
    create(mall, "adm", total=10, shards=4)
    assert mall.stock.set_stock("adm", 3, 4) == -7
    assert sum(mall.shard_levels("adm").values()) == 3
    assert mall.stock.set_stock("adm", 43, 4) == 40
    assert sorted(mall.shard_levels("adm").values()) == [10, 11, 11, 11]
    # With more shards (a reward grown into a flash sale), the new total spreads over all of them.
    assert mall.stock.set_stock("adm", 59, 8) == 16
    assert sorted(mall.stock.levels("adm", 8, consistent=True).values()) == [7, 7, 7, 7, 7, 8, 8, 8]
    assert mall.stock.stock_left({"adm": 8, "none": 1}) == {"adm": 59, "none": 0}


def test_a_reward_grown_into_a_flash_sale_is_rebalanced_over_its_new_shards_without_losing_a_take(mall: Mall):
    create(mall, "grow", total=64, shards=1)
    outcome = Outcome()

    def work(index: int) -> None:
        if index == 0:
            mall.stock.rebalance("grow", FLASH_SHARDS)
            return
        for _ in range(3):
            mall.redeem("grow", 1, 1 if index % 2 else FLASH_SHARDS, outcome)

    run_threads(6, work)

    levels = mall.stock.levels("grow", FLASH_SHARDS, consistent=True)
    sold = sum(sum(o.parts.values()) for o in outcome.orders)
    # Buyers still holding the old count (1) see shard 0 alone, and may hear out_of_stock once it
    # holds its even share; nothing is lost or sold twice either way.
    assert sold + outcome.out_of_stock == 15 and outcome.gave_up == 0
    assert sum(levels.values()) == 64 - sold
    assert min(levels.values()) >= 0
    assert len([left for left in levels.values() if left > 0]) >= FLASH_SHARDS - 1  # spread, not piled


def test_admin_stock_inputs_are_checked(mall: Mall):
    create(mall, "bad", total=2, shards=2)
    with pytest.raises(ValidationFailedError):
        mall.stock.set_stock("bad", -1, 2)
    with pytest.raises(ValidationFailedError):
        mall.stock.adjust_stock("bad", -3, 2)
    with pytest.raises(ValidationFailedError):
        transact(mall.ddb, list(mall.stock.create_actions("bad", 5, 2)))  # exists already
    with pytest.raises(ValueError):
        mall.stock.plan_take("bad", 1, 0)
    with pytest.raises(ValidationFailedError):
        mall.stock.plan_take("bad", 0, 2)
    assert sum(mall.shard_levels("bad").values()) == 2


def test_a_refund_puts_the_units_back_in_the_shards_they_came_from(mall: Mall):
    create(mall, "ret", total=8, shards=4)
    outcome = Outcome()
    taken = mall.redeem("ret", 2, 4, outcome)
    assert taken is not None
    before = mall.shard_levels("ret")

    transact(mall.ddb, list(mall.stock.return_actions("ret", [[s, u] for s, u in taken.parts.items()], 4)))

    after = mall.shard_levels("ret")
    assert {s: after[s] - before[s] for s in after if after[s] != before[s]} == taken.parts


def test_an_unknown_reward_is_out_of_stock(mall: Mall):
    with pytest.raises(OutOfStockError):
        mall.stock.replan_take("ghost", 1, 2, random.Random(1))
    outcome = Outcome()
    assert mall.redeem("ghost", 1, 1, outcome) is None
    assert outcome.out_of_stock == 1
