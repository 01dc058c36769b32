"""The allocation loop: what each lost race leads to, with the real stock store over an in-memory
stand-in for the two DynamoDB calls it makes here (BatchGetItem of the shards)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError
from earnloop.mall.allocation import ATTEMPTS, Allocation, Tries, allocate_and_commit, is_throttled
from earnloop.mall.coupons import CouponTakenError, Draw
from earnloop.mall.stock import ShardDryError, StockStore, shard_key
from earnloop.platform.dynamo import TransactionConflictError, marshal
from earnloop.platform.errors import ConcurrencyError, InsufficientPointsError, OutOfStockError


class ShardsInMemory:
    """Answers BatchGetItem for stock shards from a dict of levels."""

    def __init__(self, reward_id: str, levels: dict[int, int]) -> None:
        self.reward_id = reward_id
        self.levels = levels
        self.reads = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.reads += 1
        ((table, request),) = RequestItems.items()
        items = [
            marshal({**shard_key(self.reward_id, s), "reward_id": self.reward_id, "shard": s, "left": left})
            for s, left in self.levels.items()
            if marshal(shard_key(self.reward_id, s)) in request["Keys"]
        ]
        return {"Responses": {table: items}}


class Script:
    """A `commit` that raises the given outcomes in turn, then commits."""

    def __init__(self, *outcomes: BaseException) -> None:
        self.outcomes = list(outcomes)
        self.allocations: list[Allocation] = []

    def __call__(self, allocation: Allocation) -> str:
        self.allocations.append(allocation)
        if self.outcomes:
            raise self.outcomes.pop(0)
        return "order"


def throttled() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "ThrottlingError"}],
        },
        "TransactWriteItems",
    )


def allocate(stock: StockStore, commit: Script, shards: int = 4, pool: Any = None, **kwargs: Any) -> Any:
    pauses: list[int] = []
    tries = Tries()
    result = allocate_and_commit(
        stock, pool, reward_id="r", quantity=1, shards=shards, order_id="o", commit=commit,
        rng=random.Random(5), pause=pauses.append, tries=tries, **kwargs,
    )  # fmt: skip
    return result, tries, pauses


def test_the_first_try_reads_nothing_and_a_dry_shard_sends_the_next_to_one_with_stock():
    ddb = ShardsInMemory("r", {0: 0, 1: 0, 2: 3, 3: 0})
    stock = StockStore(ddb, "mall")  # type: ignore[arg-type]
    commit = Script(ShardDryError("r", 0))

    result, tries, pauses = allocate(stock, commit)

    assert result == "order"
    assert ddb.reads == 1 and tries.dry_shards == 1 and pauses == []
    assert commit.allocations[1].parts == {2: 1}


def test_a_dry_shard_when_every_shard_is_empty_is_out_of_stock():
    stock = StockStore(ShardsInMemory("r", dict.fromkeys(range(4), 0)), "mall")  # type: ignore[arg-type]
    with pytest.raises(OutOfStockError):
        allocate(stock, Script(ShardDryError("r", 1)))


def test_conflicts_pause_and_try_again_then_give_up_with_a_retryable_409():
    stock = StockStore(ShardsInMemory("r", {}), "mall")  # type: ignore[arg-type]
    commit = Script(*[TransactionConflictError() for _ in range(ATTEMPTS)])

    with pytest.raises(ConcurrencyError):
        allocate(stock, commit)
    assert len(commit.allocations) == ATTEMPTS


def test_a_throttled_shard_pauses_and_goes_where_the_stock_is():
    ddb = ShardsInMemory("r", {0: 0, 1: 2})
    stock = StockStore(ddb, "mall")  # type: ignore[arg-type]

    result, tries, pauses = allocate(stock, Script(throttled()), shards=2)

    assert result == "order" and tries.throttled == 1 and len(pauses) == 1 and ddb.reads == 1


def test_the_commits_own_errors_pass_through_on_the_first_try():
    stock = StockStore(ShardsInMemory("r", {}), "mall")  # type: ignore[arg-type]
    commit = Script(InsufficientPointsError())
    with pytest.raises(InsufficientPointsError):
        allocate(stock, commit)
    other = ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "TransactWriteItems")
    with pytest.raises(ClientError):
        allocate(stock, Script(other))
    assert len(commit.allocations) == 1


def test_a_code_lost_to_another_order_is_left_out_of_the_next_draw():
    class Pool:
        def __init__(self) -> None:
            self.excluded: list[set[str]] = []

        def plan_draw(
            self, reward_id: str, quantity: int, order_id: str, exclude: set[str], rng: Any, *, shards: int
        ) -> Draw:
            self.excluded.append(set(exclude))
            return Draw((f"C{len(self.excluded)}",), ())

    stock = StockStore(ShardsInMemory("r", {}), "mall")  # type: ignore[arg-type]
    pool = Pool()
    commit = Script(CouponTakenError("C1"))

    allocate(stock, commit, pool=pool)

    assert pool.excluded == [set(), {"C1"}]
    assert [a.codes for a in commit.allocations] == [("C1",), ("C2",)]


def test_throttling_is_recognised_whole_or_per_item():
    assert is_throttled(throttled())
    assert is_throttled(ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "X"))
    conflict = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException"},
            "CancellationReasons": [{"Code": "ConditionalCheckFailed"}],
        },
        "X",
    )
    assert not is_throttled(conflict)


def test_shard_levels_are_read_again_for_the_keys_dynamodb_left_unprocessed():
    class Throttled(ShardsInMemory):
        def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            answer = super().batch_get_item(RequestItems)
            ((table, request),) = RequestItems.items()
            if self.reads == 1:  # the first answer holds one shard, the rest come back unprocessed
                answer["Responses"][table] = answer["Responses"][table][:1]
                answer["UnprocessedKeys"] = {table: {"Keys": request["Keys"][1:]}}
            return answer

    ddb = Throttled("r", {0: 1, 1: 2, 2: 3})
    assert StockStore(ddb, "mall").stock_left({"r": 3}) == {"r": 6}  # type: ignore[arg-type]
    assert ddb.reads == 2
