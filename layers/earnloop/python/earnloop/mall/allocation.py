"""What a redemption takes (stock units and, for a coupon reward, codes), retried until its
transaction commits, stock runs out, or the tries run out.

How the mall core calls it (its `commit` composes and commits the one transaction):

    def commit(allocation: Allocation) -> Order:
        actions = [*spend_actions, *allocation.actions, limit_action, order_put(allocation)]
        transact(ddb, actions)        # platform.dynamo: translates each item's failed condition
        return order

    order = allocate_and_commit(
        stock, pool_or_none, reward_id=..., quantity=..., shards=reward.shards,
        order_id=order_id, commit=commit,
    )

`commit` must let `ShardDryError`, `CouponTakenError` and `TransactionConflictError` propagate
(they mean "try again with another plan"); its own errors (insufficient points, limit reached,
an order that exists already) propagate to the caller untouched, on the first try that meets
them. Put the points actions before `allocation.actions` when a buyer short of points should hear
so rather than `out_of_stock`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import ClientError

from earnloop.mall.coupons import CouponTakenError
from earnloop.mall.stock import ShardDryError
from earnloop.platform.dynamo import TransactionConflictError, cancellation_reasons
from earnloop.platform.errors import ConcurrencyError

if TYPE_CHECKING:
    from collections.abc import Callable

    from earnloop.mall.coupons import CouponPool, Draw
    from earnloop.mall.stock import StockStore, TakePlan
    from earnloop.mall.stock_rules import Parts
    from earnloop.platform.dynamo import TxAction

T = TypeVar("T")

# A take meets a dry shard at most once per sold-out shard; past that, conflicts are the crowd's.
ATTEMPTS = 8


@dataclass(frozen=True)
class Allocation:
    """One try: the shards asked (`parts`, store it on the order for a refund), the coupon codes
    drawn (empty unless a coupon reward), and the transaction items doing both."""

    parts: Parts
    codes: tuple[str, ...]
    actions: tuple[TxAction, ...]


@dataclass
class Tries:
    """What one allocation went through (the benchmark reports it; logs may too)."""

    attempts: int = 0
    dry_shards: int = 0
    codes_lost: int = 0
    conflicts: int = 0
    throttled: int = 0


_THROTTLED = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"}
)


def is_throttled(error: ClientError) -> bool:
    """DynamoDB refused for capacity: the whole request, or one item of a transaction (botocore
    retries the former itself, never the latter)."""
    code = error.response.get("Error", {}).get("Code")
    if code in _THROTTLED:
        return True
    return code == "TransactionCanceledException" and any(
        reason.get("Code") == "ThrottlingError" for reason in cancellation_reasons(error)
    )


def short_pause(attempt: int) -> None:
    """Full jitter, capped at 40 ms: the crowd spreads out instead of meeting again."""
    time.sleep(random.uniform(0, min(0.04, 0.005 * 2**attempt)))


def allocate_and_commit(
    stock: StockStore,
    pool: CouponPool | None,
    *,
    reward_id: str,
    quantity: int,
    shards: int,
    order_id: str,
    commit: Callable[[Allocation], T],
    attempts: int = ATTEMPTS,
    rng: random.Random | None = None,
    pause: Callable[[int], None] = short_pause,
    tries: Tries | None = None,
) -> T:
    """Runs `commit` with an allocation until it commits, and returns what it returns.

        The first try reads nothing: one random shard. A dry shard makes the next try read every
        shard and ask one that holds enough (or several); a code drawn by someone else first is left
        out of the next draw; a transaction conflict pauses briefly and tries a fresh random shard; a
    throttled shard pauses briefly and reads where the stock is.

        Raises:
            OutOfStockError: every shard together holds fewer than `quantity`, or the pool is empty.
            ConcurrencyError: `attempts` tries all lost their races.
            Whatever `commit` raises otherwise.
    """
    tries = tries if tries is not None else Tries()
    lost: set[str] = set()
    plan: TakePlan = stock.plan_take(reward_id, quantity, shards, rng)
    for attempt in range(attempts):
        tries.attempts += 1
        draw: Draw | None = (
            pool.plan_draw(reward_id, quantity, order_id, lost, rng, shards=shards) if pool else None
        )
        allocation = Allocation(
            parts=plan.parts,
            codes=draw.codes if draw else (),
            actions=plan.actions + (draw.actions if draw else ()),
        )
        try:
            return commit(allocation)
        except ShardDryError:
            tries.dry_shards += 1
            plan = stock.replan_take(reward_id, quantity, shards, rng)
        except CouponTakenError as taken:
            tries.codes_lost += 1
            lost.add(taken.code)
        except TransactionConflictError:
            tries.conflicts += 1
            pause(attempt)
            plan = stock.plan_take(reward_id, quantity, shards, rng)
        except ClientError as error:
            if not is_throttled(error):
                raise
            # A shard past its partition's rate (the hot tail of a sale, or a partition shared
            # before DynamoDB splits it): wait a moment and go where the stock is.
            tries.throttled += 1
            pause(attempt)
            plan = stock.replan_take(reward_id, quantity, shards, rng)
    raise ConcurrencyError("the reward is in high demand, please retry")
