"""The mall table on DynamoDB Local, for races between threads (moto's transactions are not
thread-safe): the session's one emulator, a fresh table per test, made from the mall context's
own definition; and a stand-in order transaction that composes an allocation as the redemption does."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from earnloop.mall.allocation import Allocation, Tries, allocate_and_commit
from earnloop.mall.context import CONTEXT as MALL
from earnloop.mall.coupons import CouponPool
from earnloop.mall.stock import StockStore
from earnloop.platform.dynamo import TxAction, marshal, transact, unmarshal
from earnloop.platform.errors import ConcurrencyError, OutOfStockError

from tests.support.races import fresh_table

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass
class Outcome:
    """What a crowd of buyers got, counted under a lock."""

    orders: list[Allocation] = field(default_factory=list)
    out_of_stock: int = 0
    gave_up: int = 0
    tries: Tries = field(default_factory=Tries)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Mall:
    ddb: DynamoDBClient
    table: str
    stock: StockStore
    pool: CouponPool

    def order_action(self, order_id: str, allocation: Allocation) -> TxAction:
        """The order's Put, as the redemption writes it: what it took, once."""
        item = {
            "pk": f"ORDER#{order_id}",
            "sk": "ORDER",
            "entity": "TestOrder",
            "parts": [[shard, units] for shard, units in sorted(allocation.parts.items())],
            "codes": list(allocation.codes) or None,
        }
        return TxAction(
            {
                "Put": {
                    "TableName": self.table,
                    "Item": marshal(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )

    def redeem(
        self, reward_id: str, quantity: int, shards: int, outcome: Outcome, *, coupon: bool = False
    ) -> Allocation | None:
        """One buyer: allocate and commit with an order; a buyer who gave up retries as a client
        would (twice), so only out-of-stock ends a purchase."""
        order_id = uuid.uuid4().hex
        tries = Tries()

        def commit(allocation: Allocation) -> Allocation:
            transact(self.ddb, [*allocation.actions, self.order_action(order_id, allocation)])
            return allocation

        result: Allocation | None = None
        gave_up = out = 0
        for _ in range(3):
            try:
                result = allocate_and_commit(
                    self.stock,
                    self.pool if coupon else None,
                    reward_id=reward_id,
                    quantity=quantity,
                    shards=shards,
                    order_id=order_id,
                    commit=commit,
                    tries=tries,
                )
                break
            except OutOfStockError:
                out = 1
                break
            except ConcurrencyError:
                gave_up += 1
        with outcome.lock:
            outcome.out_of_stock += out
            outcome.gave_up += gave_up
            for name in ("attempts", "dry_shards", "codes_lost", "conflicts"):
                setattr(outcome.tries, name, getattr(outcome.tries, name) + getattr(tries, name))
            if result is not None:
                outcome.orders.append(result)
        return result

    def items(self, prefix: str) -> list[dict[str, Any]]:
        """Every item whose pk starts with `prefix` (a test-only Scan of a small, fresh table)."""
        pages = self.ddb.get_paginator("scan").paginate(
            TableName=self.table,
            ConsistentRead=True,
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": prefix}},
        )
        return [unmarshal(item) for page in pages for item in page.get("Items", [])]

    def shard_levels(self, reward_id: str) -> dict[int, int]:
        return {int(i["shard"]): int(i["left"]) for i in self.items(f"STOCK#{reward_id}#")}


def mall_on(ddb: DynamoDBClient) -> Mall:
    table = fresh_table(ddb, MALL.table)
    stock = StockStore(ddb, table)
    return Mall(ddb, table, stock, CouponPool(ddb, table, stock))


def run_threads(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
