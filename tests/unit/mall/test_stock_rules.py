"""The shard arithmetic and the plans a take or an admin change makes from shard levels."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from earnloop.mall.stock_rules import (
    FLASH_SHARDS,
    FLASH_TARGET_PER_S,
    PARTITION_WCU_PER_S,
    TRANSACT_WCU_PER_KB,
    plan_decrease,
    plan_from_levels,
    return_parts,
    shard_count,
    shards_needed,
    spread,
)
from hypothesis import given
from hypothesis import strategies as st


def test_a_flash_sale_at_the_target_rate_keeps_every_shard_under_a_partitions_write_limit():
    per_shard_wcu = FLASH_TARGET_PER_S * TRANSACT_WCU_PER_KB / FLASH_SHARDS
    assert FLASH_SHARDS == 16
    assert per_shard_wcu == 625 < PARTITION_WCU_PER_S
    # One shard fewer would still be under the limit, but past the planned 65 % utilisation.
    assert FLASH_TARGET_PER_S * TRANSACT_WCU_PER_KB / (FLASH_SHARDS - 1) > 0.65 * PARTITION_WCU_PER_S


def test_the_bare_minimum_is_ten_shards_at_full_utilisation_and_a_normal_reward_has_one():
    assert shards_needed(5_000, utilisation=1.0) == 10
    assert shards_needed(5_001, utilisation=1.0) == 11
    assert shards_needed(0) == shards_needed(100) == 1
    assert shards_needed(5_000, item_kb=2) == 31  # a 2 KB item would double the cost
    assert shard_count(flash_sale=False) == 1
    assert shard_count(flash_sale=True) == FLASH_SHARDS


def test_units_spread_evenly_with_the_remainder_on_the_first_shards():
    assert spread(10, 3) == [4, 3, 3]
    assert spread(2, 4) == [1, 1, 0, 0]
    assert spread(-5, 2) == [-3, -2]
    with pytest.raises(ValueError):
        spread(1, 0)


def test_a_take_goes_to_a_random_shard_that_holds_enough():
    rng = random.Random(7)
    picks = Counter(
        next(iter(plan)) for _ in range(400) if (plan := plan_from_levels({0: 0, 1: 5, 2: 2, 3: 9}, 2, rng))
    )
    assert set(picks) == {1, 2, 3}
    assert min(picks.values()) > 80  # spread, not piled on the fullest


def test_the_last_units_are_found_across_shards_when_no_shard_holds_enough_alone():
    assert plan_from_levels({0: 0, 1: 1, 2: 1, 3: 0}, 2) == {1: 1, 2: 1}
    assert plan_from_levels({0: 2, 1: 1, 2: 3}, 5) == {2: 3, 0: 2}


def test_a_take_larger_than_all_shards_together_is_out_of_stock():
    assert plan_from_levels({0: 1, 1: 1}, 3) is None
    assert plan_from_levels({0: 0}, 1) is None
    assert plan_from_levels({0: -1, 1: 2}, 2) == {1: 2}  # a negative level never counts as stock
    with pytest.raises(ValueError):
        plan_from_levels({0: 1}, 0)


def test_a_decrease_levels_the_fullest_shards_down_and_never_below_zero():
    assert plan_decrease({0: 5, 1: 3, 2: 0}, 4) == {0: 3, 1: 1}
    assert plan_decrease({0: 7, 1: 5, 2: 5}, 6) == {0: 4, 1: 1, 2: 1}
    assert plan_decrease({0: 5, 1: 5}, 10) == {0: 5, 1: 5}
    assert plan_decrease({0: 5, 1: 5}, 11) is None
    assert plan_decrease({0: 3}, 0) == {}


@given(
    levels=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=16),
    units=st.integers(min_value=0, max_value=900),
)
def test_a_decrease_removes_exactly_what_it_says_and_takes_only_from_the_fullest_shards(levels, units):
    by_shard = dict(enumerate(levels))
    plan = plan_decrease(by_shard, units)
    if units > sum(levels):
        assert plan is None
        return
    assert plan is not None
    assert sum(plan.values()) == units
    after = {s: left - plan.get(s, 0) for s, left in by_shard.items()}
    assert min(after.values()) >= 0
    # Levelled: it never took from a shard that ends more than one unit below another shard.
    assert all(after[t] >= max(after.values()) - 1 for t in plan)


@given(
    levels=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=16),
    quantity=st.integers(min_value=1, max_value=10),
)
def test_a_take_plan_never_asks_a_shard_for_more_than_it_held(levels, quantity):
    by_shard = dict(enumerate(levels))
    plan = plan_from_levels(by_shard, quantity, random.Random(0))
    if quantity > sum(levels):
        assert plan is None
        return
    assert plan is not None
    assert sum(plan.values()) == quantity
    assert all(0 < units <= by_shard[s] for s, units in plan.items())


def test_returned_units_go_back_to_their_shards_and_fold_onto_existing_ones():
    assert return_parts({2: 1, 0: 3}, 4) == {2: 1, 0: 3}
    assert return_parts([[5, 2], [1, 1]], 4) == {1: 3}
    assert return_parts([[0, 0]], 1) == {}
