"""`bench/flash_sale.py` runs a small sale and its figures add up (a smoke test: no time asserted)."""

from __future__ import annotations

from bench.flash_sale import sale
from tests.support.races import race_client


def test_a_small_sale_sells_its_stock_and_counts_every_shard_write(dynamodb_local: str):
    figures = sale(
        race_client(dynamodb_local, connections=8), threads=4, buyers=14, stock=10, shards=4, coupon=False
    )

    assert (figures["sold"], figures["out_of_stock"], figures["gave_up"]) == (10, 4, 0)
    assert sum(figures["shard_takes_committed"].values()) == 10
    assert sum(figures["shard_writes_attempted"].values()) >= 10
    assert figures["writes_per_unit_sold"] >= 1
    assert 0.25 <= figures["hottest_shard_share_overall"] <= 1


def test_a_small_coupon_sale_draws_one_code_per_unit(dynamodb_local: str):
    figures = sale(
        race_client(dynamodb_local, connections=8), threads=4, buyers=8, stock=6, shards=2, coupon=True
    )

    assert (figures["sold"], figures["out_of_stock"]) == (6, 2)
    assert figures["sold_buyers"]["tries"] >= 1
