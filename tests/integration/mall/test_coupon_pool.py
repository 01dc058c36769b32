"""Coupon pools on DynamoDB Local: uploads deduplicated, every order its own code under a crowd, an
empty pool out of stock, refunds that void what was seen and return what was not."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from earnloop.mall.allocation import Allocation, Tries, allocate_and_commit
from earnloop.mall.coupons import FREE_INDEX, FREE_SLOTS, MAX_CODES_PER_CALL, PROBE_SLOTS, CouponPool
from earnloop.mall.stock import StockStore
from earnloop.mall.stock_rules import FLASH_SHARDS
from earnloop.platform.dynamo import transact
from earnloop.platform.errors import ConcurrencyError, OutOfStockError, ValidationFailedError

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


def free_codes(mall: Mall, reward_id: str) -> set[str]:
    """The codes the sparse index offers, read slot by slot as a draw does."""
    found: set[str] = set()
    for slot in range(FREE_SLOTS):
        pages = mall.ddb.get_paginator("query").paginate(
            TableName=mall.table,
            IndexName=FREE_INDEX,
            KeyConditionExpression="cpn_pk = :p",
            ExpressionAttributeValues={":p": {"S": f"FREE#{reward_id}#{slot}"}},
        )
        found |= {i["pk"]["S"].removeprefix(f"COUPON#{reward_id}#") for p in pages for i in p["Items"]}
    return found


def coupons(mall: Mall, reward_id: str) -> dict[str, dict[str, object]]:
    return {item["code"]: item for item in mall.items(f"COUPON#{reward_id}#")}


def test_every_buyer_in_a_crowd_gets_a_code_of_their_own_until_the_pool_is_empty(mall: Mall):
    codes = [f"CPN-{i:04d}" for i in range(16)]
    assert mall.pool.add_codes("cpn", codes, FLASH_SHARDS).added == 16
    outcome = Outcome()

    def buyer(_: int) -> None:
        for _ in range(3):
            mall.redeem("cpn", 1, FLASH_SHARDS, outcome, coupon=True)

    run_threads(THREADS, buyer)

    drawn = [code for order in outcome.orders for code in order.codes]
    assert len(outcome.orders) == 16 and outcome.out_of_stock == 8 and outcome.gave_up == 0
    assert sorted(drawn) == sorted(codes)  # each code once, none twice
    stored = coupons(mall, "cpn")
    assert {item["status"] for item in stored.values()} == {"assigned"}
    assert len({item["order_id"] for item in stored.values()}) == 16
    orders = mall.items("ORDER#")
    assert sorted(c for o in orders for c in o["codes"]) == sorted(codes)
    assert free_codes(mall, "cpn") == set()
    assert sum(mall.shard_levels("cpn").values()) == 0


def test_an_empty_pool_is_out_of_stock_and_changes_nothing(mall: Mall):
    outcome = Outcome()
    assert mall.redeem("none", 1, 1, outcome, coupon=True) is None
    assert outcome.out_of_stock == 1
    mall.pool.add_codes("one", ["ONLY-ONE"], 1)
    assert mall.redeem("one", 2, 1, outcome, coupon=True) is None  # two wanted, one there
    assert free_codes(mall, "one") == {"ONLY-ONE"}
    taken = mall.redeem("one", 1, 1, outcome, coupon=True)
    assert taken is not None and taken.codes == ("ONLY-ONE",)
    with pytest.raises(OutOfStockError):
        mall.pool.plan_draw("one", 1, "order-x")


def test_an_order_of_several_units_draws_as_many_distinct_codes(mall: Mall):
    mall.pool.add_codes("multi", [f"M{i}" for i in range(5)], 2)
    outcome = Outcome()
    taken = mall.redeem("multi", 3, 2, outcome, coupon=True)
    assert taken is not None and len(set(taken.codes)) == 3
    assert len(free_codes(mall, "multi")) == 2
    assert sum(mall.shard_levels("multi").values()) == 2


def test_uploads_add_each_code_once_with_one_unit_of_stock_each(mall: Mall):
    first = mall.pool.add_codes("up", ["A1", "A2", "A3"], 4)
    again = mall.pool.add_codes("up", ["A2", " A4 ", "A4", "A3", "A5"], 4)

    assert (first.added, first.duplicates) == (3, 0)
    assert (again.added, again.duplicates) == (2, 3)
    assert set(coupons(mall, "up")) == {"A1", "A2", "A3", "A4", "A5"}
    assert mall.stock.stock_left({"up": 4}) == {"up": 5}
    assert free_codes(mall, "up") == {"A1", "A2", "A3", "A4", "A5"}


def test_a_drawn_code_is_never_uploaded_again(mall: Mall):
    mall.pool.add_codes("once", ["X1"], 1)
    assert mall.redeem("once", 1, 1, Outcome(), coupon=True) is not None
    assert mall.pool.add_codes("once", ["X1"], 1).added == 0
    assert free_codes(mall, "once") == set()
    assert mall.stock.stock_left({"once": 1}) == {"once": 0}


def test_a_large_upload_goes_in_several_transactions(mall: Mall):
    codes = [f"BULK{i:05d}" for i in range(170)]
    assert mall.pool.add_codes("bulk", codes, FLASH_SHARDS).added == 170
    assert mall.stock.stock_left({"bulk": FLASH_SHARDS}) == {"bulk": 170}
    assert len(free_codes(mall, "bulk")) == 170
    # The codes spread over every slot, so no index partition takes every draw.
    slots = Counter(item["cpn_pk"] for item in coupons(mall, "bulk").values())
    assert len(slots) == FREE_SLOTS


@pytest.mark.parametrize(
    "codes",
    [
        ["has space"],
        [""],
        ["x" * 65],
        ["tab\there"],
        ["ok", 7],
        ["C"] * (MAX_CODES_PER_CALL + 1),
    ],
)
def test_bad_uploads_are_refused_whole(mall: Mall, codes):
    with pytest.raises(ValidationFailedError):
        mall.pool.add_codes("bad", codes, 1)
    assert coupons(mall, "bad") == {}


def test_a_refund_voids_a_code_the_buyer_has_seen_and_returns_no_unit(mall: Mall):
    mall.pool.add_codes("void", ["V1", "V2"], 2)
    order = mall.redeem("void", 1, 2, Outcome(), coupon=True)
    assert order is not None
    order_id = coupons(mall, "void")[order.codes[0]]["order_id"]

    actions = mall.pool.refund_actions("void", str(order_id), order.codes, order.parts, 2, revealed=True)
    transact(mall.ddb, list(actions))

    assert coupons(mall, "void")[order.codes[0]]["status"] == "void"
    assert order.codes[0] not in free_codes(mall, "void")
    assert mall.stock.stock_left({"void": 2}) == {"void": 1}
    # Once only: the code is no longer this order's assigned code.
    with pytest.raises(ConcurrencyError):
        transact(mall.ddb, list(actions))


def test_a_refund_of_a_code_never_shown_returns_it_and_its_unit_to_the_pool(mall: Mall):
    mall.pool.add_codes("back", ["B1"], 1)
    order = mall.redeem("back", 1, 1, Outcome(), coupon=True)
    assert order is not None
    order_id = str(coupons(mall, "back")["B1"]["order_id"])

    transact(
        mall.ddb, list(mall.pool.refund_actions("back", order_id, ["B1"], order.parts, 1, revealed=False))
    )

    assert coupons(mall, "back")["B1"]["status"] == "available"
    assert "order_id" not in coupons(mall, "back")["B1"]
    assert free_codes(mall, "back") == {"B1"}
    assert mall.stock.stock_left({"back": 1}) == {"back": 1}
    # Another order's refund cannot release it, and the next buyer draws it.
    with pytest.raises(ConcurrencyError):
        transact(mall.ddb, list(mall.pool.refund_actions("back", "other", ["B1"], {0: 1}, 1, revealed=False)))
    again = mall.redeem("back", 1, 1, Outcome(), coupon=True)
    assert again is not None and again.codes == ("B1",)


def test_a_code_another_order_drew_first_fails_its_condition_and_the_draw_moves_on(mall: Mall):
    mall.pool.add_codes("race", ["R1", "R2"], 1)
    calls: list[Allocation] = []

    def commit(allocation: Allocation) -> Allocation:
        calls.append(allocation)
        if len(calls) == 1:
            # Between our draw and our commit, another order takes the very code we picked.
            transact(mall.ddb, list(mall.pool.assign_actions("race", allocation.codes, "rival")))
        transact(mall.ddb, list(allocation.actions))
        return allocation

    tries = Tries()
    won = allocate_and_commit(
        mall.stock,
        mall.pool,
        reward_id="race",
        quantity=1,
        shards=1,
        order_id="mine",
        commit=commit,
        tries=tries,
    )

    assert tries.codes_lost == 1 and len(calls) == 2
    assert won.codes != calls[0].codes
    stored = coupons(mall, "race")
    assert stored[calls[0].codes[0]]["order_id"] == "rival"
    assert stored[won.codes[0]]["order_id"] == "mine"


class CountingClient:
    """The DynamoDB client, counting the calls a draw makes."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self._client, name)


def test_after_a_sell_out_a_draw_asks_the_stock_instead_of_sweeping_every_slot(mall: Mall):
    mall.pool.add_codes("gone", ["G1"], 2)
    assert mall.redeem("gone", 1, 2, Outcome(), coupon=True) is not None
    counting = CountingClient(mall.ddb)
    pool = CouponPool(counting, mall.table, StockStore(counting, mall.table))  # type: ignore[arg-type]

    with pytest.raises(OutOfStockError):
        pool.plan_draw("gone", 1, "late", shards=2)
    assert counting.calls == Counter({"query": 2 * PROBE_SLOTS, "batch_get_item": 1})

    # Without the shard count it has only the index to go by: every slot, both halves.
    counting.calls.clear()
    with pytest.raises(OutOfStockError):
        pool.plan_draw("gone", 1, "late")
    assert counting.calls == Counter({"query": 2 * FREE_SLOTS})


def test_a_last_code_in_a_far_slot_is_still_found(mall: Mall):
    mall.pool.add_codes("far", [f"F{i}" for i in range(12)], 1)
    for _ in range(11):
        assert mall.redeem("far", 1, 1, Outcome(), coupon=True) is not None
    last = free_codes(mall, "far")
    assert len(last) == 1
    taken = mall.redeem("far", 1, 1, Outcome(), coupon=True)
    assert taken is not None and set(taken.codes) == last


def test_uploading_a_file_again_costs_one_failed_transaction_per_chunk_not_one_per_code(mall: Mall):
    codes = [f"RE{i:03d}" for i in range(100)]  # two chunks: 80 and 20
    assert mall.pool.add_codes("again", codes, 2).added == 100
    counting = CountingClient(mall.ddb)
    pool = CouponPool(counting, mall.table, StockStore(counting, mall.table))  # type: ignore[arg-type]

    mixed = pool.add_codes("again", [*codes[70:], "NEW1", "NEW2"], 2)

    assert (mixed.added, mixed.duplicates) == (2, 30)
    assert counting.calls["transact_write_items"] == 2  # one refused (30 existing), one committed
    assert mall.stock.stock_left({"again": 2}) == {"again": 102}
