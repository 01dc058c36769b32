"""Reward stock, split over shards so a flash sale's crowd never heats one item.

Items (mall table): `pk = STOCK#<reward_id>#<shard>`, `sk = STOCK` (entity StockShard) with `left`
(units on sale in this shard) and `taken` (units ever taken from it). Shards are 0..shards-1; the
reward item (the core's) keeps the count: `stock_rules.shard_count(flash_sale)` at creation, 1 or
16 (the arithmetic is in `stock_rules`). A count may grow, never shrink (units in a dropped shard
would be stranded). The mall's deriver ignores these items: a take is told by its order.

How the mall core calls this module:

    stock = StockStore(aws.dynamodb(), settings.table_name("mall"))
    # creating a reward: put its shards in the same transaction as the reward item
    actions += stock.create_actions(reward_id, total=100, shards=shard_count(flash_sale))
    # redeeming: `allocation.allocate_and_commit` plans the take, composes it into the order's
    # transaction through your `commit(allocation)`, and replans on a dry shard; store
    # `allocation.parts` on the order ({shard: units}) for the refund
    # refunding (reject, cancel): in the refund transaction, with the order's status condition
    actions += stock.return_actions(reward_id, order.stock_parts, shards)
    # admin PUT {stock}: the new number on sale, spread evenly; concurrent takes are never lost
    stock.set_stock(reward_id, total=250, shards=shards)
    # a reward whose shard count grew (turned flash sale): spread what is left over the new shards
    stock.rebalance(reward_id, shards=new_count)
    # listings: one BatchGetItem for the page's rewards
    left = stock.stock_left({reward_id: shards, ...})

`stock_left` sums on read (eventually consistent, 0.5 RCU per shard) rather than keeping an
aggregate, which would be one hot item written by every take: a partition serves 3,000 RCU/s, so
one shard bears 6,000 listing reads a second before a cache is needed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from earnloop.mall.stock_rules import (
    MAX_SHARDS,
    Parts,
    first_pick,
    plan_decrease,
    plan_from_levels,
    return_parts,
    spread,
)
from earnloop.platform.dynamo import (
    OnFail,
    TransactionConflictError,
    TxAction,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.errors import ConcurrencyError, OutOfStockError, ValidationFailedError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

STOCK_SK = "STOCK"
# A BatchGetItem reads at most 100 keys; UnprocessedKeys are asked again this many times.
_BATCH_KEYS = 100
_BATCH_ROUNDS = 5
# An admin change that keeps losing to takes gives up after this many reads.
_ADJUST_ATTEMPTS = 8


def shard_key(reward_id: str, shard: int) -> dict[str, str]:
    return {"pk": f"STOCK#{reward_id}#{shard}", "sk": STOCK_SK}


class ShardDryError(Exception):
    """The shard a take asked held less than the take: read the shards and plan again.

    Raised by `platform.dynamo.transact` from the take's action; not a client error by itself.
    """

    def __init__(self, reward_id: str, shard: int) -> None:
        super().__init__(f"stock shard {shard} of {reward_id} is dry")
        self.reward_id = reward_id
        self.shard = shard


class _ShardChangedError(Exception):
    """An admin decrease found a shard lower than it read (a take came first)."""


@dataclass(frozen=True)
class TakePlan:
    """Which shards a take asks (`parts`: shard -> units) and the transaction items that do it."""

    reward_id: str
    parts: Parts
    actions: tuple[TxAction, ...]


def _dry(reward_id: str, shard: int) -> OnFail:
    return lambda _reason: ShardDryError(reward_id, shard)


def _check_shards(shards: int) -> None:
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"a reward has 1 to {MAX_SHARDS} stock shards")


class StockStore:
    """Builds and runs the stock shards' keys and expressions (the only place that does)."""

    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    # -- the redemption's transaction items ---------------------------------------------------

    def take_actions(self, reward_id: str, parts: Mapping[int, int]) -> tuple[TxAction, ...]:
        """One Update per shard: `left -= units` if `left >= units`; a failed condition raises
        `ShardDryError` (through `transact`)."""
        actions = []
        for shard, units in sorted(parts.items()):
            if units < 1:
                raise ValueError("a take is at least one unit per shard")
            actions.append(
                TxAction(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": marshal(shard_key(reward_id, shard)),
                            "UpdateExpression": "SET #left = #left - :units ADD taken :units",
                            "ConditionExpression": "#left >= :units",
                            "ExpressionAttributeNames": {"#left": "left"},
                            "ExpressionAttributeValues": marshal({":units": units}),
                        }
                    },
                    on_condition_failed=_dry(reward_id, shard),
                )
            )
        return tuple(actions)

    def plan_take(
        self, reward_id: str, quantity: int, shards: int, rng: random.Random | None = None
    ) -> TakePlan:
        """The first try of a take: all `quantity` units from one random shard, without a read."""
        _check_shards(shards)
        if quantity < 1:
            raise ValidationFailedError("quantity must be at least 1")
        parts = {first_pick(shards, rng): quantity}
        return TakePlan(reward_id, parts, self.take_actions(reward_id, parts))

    def replan_take(
        self, reward_id: str, quantity: int, shards: int, rng: random.Random | None = None
    ) -> TakePlan:
        """A take after a dry shard: reads every shard (one BatchGetItem, eventually consistent,
        spread over all shards so no item is read hot) and asks one that holds enough, or several
        when none does alone.

        Raises:
            OutOfStockError: all the shards together hold fewer than `quantity` units.
        """
        _check_shards(shards)
        parts = plan_from_levels(self.levels(reward_id, shards), quantity, rng)
        if parts is None:
            raise OutOfStockError()
        return TakePlan(reward_id, parts, self.take_actions(reward_id, parts))

    def return_actions(
        self, reward_id: str, taken: Mapping[int, int] | Sequence[Sequence[int]], shards: int
    ) -> tuple[TxAction, ...]:
        """Puts refunded units back where they were taken (`taken`: the order's parts, as a
        mapping or `[[shard, units], ...]`). No condition: returning is always possible; the
        refund's exactly-once guard is the order's status condition in the same transaction."""
        _check_shards(shards)
        return tuple(
            TxAction(self._add(reward_id, shard, units))
            for shard, units in sorted(return_parts(taken, shards).items())
        )

    def create_actions(self, reward_id: str, total: int, shards: int) -> tuple[TxAction, ...]:
        """The shards of a new reward, `total` units spread evenly, each put only if absent (the
        reward's creation condition covers the rest)."""
        _check_shards(shards)
        if total < 0:
            raise ValidationFailedError("stock must not be negative")
        return tuple(
            TxAction(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(
                            {
                                **shard_key(reward_id, shard),
                                "entity": "StockShard",
                                "reward_id": reward_id,
                                "shard": shard,
                                "left": units,
                                "taken": 0,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                on_condition_failed=lambda _reason: ValidationFailedError(
                    "the reward's stock exists already"
                ),
            )
            for shard, units in enumerate(spread(total, shards))
        )

    # -- reads ---------------------------------------------------------------------------------

    def levels(self, reward_id: str, shards: int, *, consistent: bool = False) -> dict[int, int]:
        """What each shard holds (a missing shard holds 0)."""
        _check_shards(shards)
        return self._read({reward_id: shards}, consistent=consistent)[reward_id]

    def stock_left(self, rewards: Mapping[str, int]) -> dict[str, int]:
        """Units on sale per reward (`rewards`: reward_id -> shard count), summed over the shards in
        as few BatchGetItem calls as the keys need (100 keys each), eventually consistent."""
        return {reward_id: sum(levels.values()) for reward_id, levels in self._read(rewards).items()}

    def _read(self, rewards: Mapping[str, int], *, consistent: bool = False) -> dict[str, dict[int, int]]:
        found: dict[str, dict[int, int]] = {r: dict.fromkeys(range(n), 0) for r, n in rewards.items()}
        keys = [marshal(shard_key(r, s)) for r, n in rewards.items() for s in range(n)]
        for start in range(0, len(keys), _BATCH_KEYS):
            pending: list[dict[str, Any]] = keys[start : start + _BATCH_KEYS]
            for round_ in range(_BATCH_ROUNDS):
                if not pending:
                    break
                if round_:
                    # Unprocessed keys mean throttled partitions: back off before asking again.
                    time.sleep(random.uniform(0, 0.01 * 2**round_))
                answer = self._ddb.batch_get_item(
                    RequestItems={
                        self._table: {
                            "Keys": pending,
                            "ConsistentRead": consistent,
                            "ProjectionExpression": "reward_id, #shard, #left",
                            "ExpressionAttributeNames": {"#shard": "shard", "#left": "left"},
                        }
                    }
                )
                for raw in answer.get("Responses", {}).get(self._table, []):
                    item = unmarshal(raw)
                    if item.get("reward_id") in found:
                        found[item["reward_id"]][int(item["shard"])] = int(item.get("left", 0))
                unprocessed: Mapping[str, Any] = answer.get("UnprocessedKeys", {}).get(self._table, {})
                pending = list(unprocessed.get("Keys", []))
            if pending:
                raise ConcurrencyError("stock could not be read, please retry")
        return found

    # -- admin ---------------------------------------------------------------------------------

    def adjust_stock(self, reward_id: str, delta: int, shards: int) -> None:
        """Adds `delta` units (spread evenly) or removes `-delta` (fullest shards first, never below
        zero), in one transaction per try. Takes that land meanwhile are never undone: an increase
        is an ADD, a decrease conditions each shard on holding what it removes and, when a take
        came first, reads again.

        Raises:
            ValidationFailedError: a decrease of more units than are left.
            ConcurrencyError: the shards kept changing under a decrease.
        """
        _check_shards(shards)
        if delta > 0:
            parts = {s: u for s, u in enumerate(spread(delta, shards)) if u}
            transact(self._ddb, [TxAction(self._add(reward_id, s, u)) for s, u in sorted(parts.items())])
            return
        for _ in range(_ADJUST_ATTEMPTS):
            if delta == 0:
                return
            plan = plan_decrease(self.levels(reward_id, shards, consistent=True), -delta)
            if plan is None:
                raise ValidationFailedError("cannot remove more stock than is left")
            try:
                transact(self._ddb, [self._remove(reward_id, s, u) for s, u in sorted(plan.items())])
                return
            except (_ShardChangedError, TransactionConflictError):
                continue
        raise ConcurrencyError("stock kept changing, please retry")

    def set_stock(self, reward_id: str, total: int, shards: int) -> int:
        """Makes `total` units be on sale, spread evenly over the shards: reads what each holds
        (strongly) and moves each by the difference in one transaction (ADD up; down only on
        condition the shard still holds what it gives), so units sold while the admin edits
        count as sold after the edit, never lost or sold twice. Returns the change in units.

        Raises:
            ValidationFailedError: a negative total.
            ConcurrencyError: the shards kept changing under the edit.
        """
        if total < 0:
            raise ValidationFailedError("stock must not be negative")
        return self._even_out(reward_id, shards, lambda _left: total)

    def rebalance(self, reward_id: str, shards: int) -> None:
        """Spreads the units left evenly over `shards` without changing their number: call it
        after growing a reward's shard count (a reward turned flash sale), or its units stay in
        the old shards and every buyer's replan lands on them.

        Raises:
            ConcurrencyError: the shards kept changing under the move.
        """
        self._even_out(reward_id, shards, lambda left: left)

    def _even_out(self, reward_id: str, shards: int, total_for: Callable[[int], int]) -> int:
        _check_shards(shards)
        for _ in range(_ADJUST_ATTEMPTS):
            levels = self.levels(reward_id, shards, consistent=True)
            left = sum(levels.values())
            # A shard below zero cannot happen through this module; treated as empty if it did.
            target = spread(total_for(left), shards)
            moves = {
                s: target[s] - max(0, levels[s]) for s in range(shards) if target[s] != max(0, levels[s])
            }
            actions = [
                TxAction(self._add(reward_id, s, units)) if units > 0 else self._remove(reward_id, s, -units)
                for s, units in sorted(moves.items())
            ]
            try:
                if actions:
                    transact(self._ddb, actions)
                return total_for(left) - left
            except (_ShardChangedError, TransactionConflictError):
                continue
        raise ConcurrencyError("stock kept changing, please retry")

    # -- items -----------------------------------------------------------------------------------

    def _add(self, reward_id: str, shard: int, units: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": marshal(shard_key(reward_id, shard)),
                # ADD creates a missing shard (one a grown count added) with these units.
                "UpdateExpression": (
                    "SET entity = :entity, reward_id = :reward, #shard = :shard ADD #left :units"
                ),
                "ExpressionAttributeNames": {"#left": "left", "#shard": "shard"},
                "ExpressionAttributeValues": marshal(
                    {":units": units, ":entity": "StockShard", ":reward": reward_id, ":shard": shard}
                ),
            }
        }

    def _remove(self, reward_id: str, shard: int, units: int) -> TxAction:
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(shard_key(reward_id, shard)),
                    "UpdateExpression": "SET #left = #left - :units",
                    "ConditionExpression": "#left >= :units",
                    "ExpressionAttributeNames": {"#left": "left"},
                    "ExpressionAttributeValues": marshal({":units": units}),
                }
            },
            on_condition_failed=lambda _reason: _ShardChangedError(),
        )
