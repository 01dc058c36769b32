"""Stock shard arithmetic, pure (no boto3, no clock): how many shards a reward needs, how units
spread over them, and which shards a take asks.

Why 16 shards for a flash sale (docs/decisions.md, 2026-12-02, "Flash-sale stock"):

    target                5,000 redemptions/s, each takes from one shard
    cost of one take      2 WCU (a transactional write costs 2 WCU per KB; a shard item is ~120 B)
    all takes             5,000 x 2 = 10,000 WCU/s
    per-partition limit   1,000 WCU/s  ->  at least 10 shards, each at 100 % of its partition
    planned utilisation   65 % (a cancelled take on a dry shard still costs its capacity, and a
                          uniform random pick is not perfectly even)  ->  ceil(10,000 / 650) = 16
    per shard at target   10,000 / 16 = 625 WCU/s

A normal reward keeps one shard: a reward that sells 100 units an hour never meets the limit, and
one item reads and writes cheapest.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

PARTITION_WCU_PER_S = 1_000
TRANSACT_WCU_PER_KB = 2
SHARD_ITEM_KB = 1
FLASH_TARGET_PER_S = 5_000
PLANNED_UTILISATION = 0.65
# DynamoDB's cap on one TransactWriteItems (a set_stock change touches every shard at once) and on
# one BatchGetItem (a replan reads every shard at once).
MAX_SHARDS = 100


def shards_needed(
    rate_per_s: float, *, item_kb: int = SHARD_ITEM_KB, utilisation: float = PLANNED_UTILISATION
) -> int:
    """The fewest shards that keep each one under `utilisation` of a partition's write limit when
    `rate_per_s` takes spread evenly over them."""
    if rate_per_s <= 0:
        return 1
    wcu = rate_per_s * TRANSACT_WCU_PER_KB * item_kb
    return max(1, math.ceil(wcu / (PARTITION_WCU_PER_S * utilisation)))


NORMAL_SHARDS = 1
FLASH_SHARDS = shards_needed(FLASH_TARGET_PER_S)


def shard_count(flash_sale: bool) -> int:
    """The shard count a reward is created with: 1, or `FLASH_SHARDS` (16) for a flash sale."""
    return FLASH_SHARDS if flash_sale else NORMAL_SHARDS


def spread(units: int, shards: int) -> list[int]:
    """`units` over `shards` as evenly as possible (the first shards take the remainder). Negative
    units spread the same way (a decrease); see `plan_decrease` for one that respects the levels."""
    if shards < 1:
        raise ValueError("a reward has at least one shard")
    sign = -1 if units < 0 else 1
    base, extra = divmod(abs(units), shards)
    return [sign * (base + (1 if i < extra else 0)) for i in range(shards)]


Parts = dict[int, int]
"""Units per shard index, as one take, return or adjustment touches them."""


def first_pick(shards: int, rng: random.Random | None = None) -> int:
    """The shard a take tries first: uniformly random, so a crowd spreads over every shard."""
    return (rng or random).randrange(shards)


def plan_from_levels(
    levels: Mapping[int, int], quantity: int, rng: random.Random | None = None
) -> Parts | None:
    """Where to take `quantity` from, given what each shard held when read; None when all the shards
    together hold less (out of stock).

    One shard that holds enough is picked at random among those that do (buyers who lost a race
    spread again instead of all piling on the fullest shard). When none holds enough alone, the
    take spans shards, fullest first: the last units are found wherever they are, never stranded.
    """
    if quantity < 1:
        raise ValueError("quantity must be positive")
    stocked = {shard: left for shard, left in levels.items() if left > 0}
    if sum(stocked.values()) < quantity:
        return None
    enough = sorted(shard for shard, left in stocked.items() if left >= quantity)
    if enough:
        return {(rng or random).choice(enough): quantity}
    parts: Parts = {}
    wanted = quantity
    for shard, left in sorted(stocked.items(), key=lambda kv: (-kv[1], kv[0])):
        took = min(left, wanted)
        parts[shard] = took
        wanted -= took
        if wanted == 0:
            break
    return parts


def plan_decrease(levels: Mapping[int, int], units: int) -> Parts | None:
    """How to remove `units` (positive) from shards holding `levels`: fullest first, never below
    zero; None when they hold fewer."""
    if units < 0:
        raise ValueError("units must not be negative")
    if sum(max(0, left) for left in levels.values()) < units:
        return None
    remaining = {shard: max(0, left) for shard, left in levels.items()}

    def above(level: int) -> int:
        return sum(max(0, left - level) for left in remaining.values())

    # Level the shards down to a water line so what stays is even: the highest line `low` that the
    # removal still reaches (above(low) >= units), found by bisection.
    low, high = 0, max(remaining.values(), default=0)
    while low < high:
        middle = (low + high + 1) // 2
        if above(middle) >= units:
            low = middle
        else:
            high = middle - 1
    parts: Parts = {s: left - (low + 1) for s, left in remaining.items() if left > low + 1}
    wanted = units - sum(parts.values())
    for shard in sorted(s for s, left in remaining.items() if left > low):
        if wanted == 0:
            break
        parts[shard] = parts.get(shard, 0) + 1
        wanted -= 1
    return {s: u for s, u in parts.items() if u > 0}


def return_parts(taken: Sequence[Sequence[int]] | Mapping[int, int], shards: int) -> Parts:
    """Where returned units go: back to the shards they came from; a shard index at or beyond the
    current count (cannot happen while counts only grow, kept safe anyway) folds onto one that exists."""
    pairs = taken.items() if isinstance(taken, Mapping) else ((int(p[0]), int(p[1])) for p in taken)
    parts: Parts = {}
    for shard, units in pairs:
        if units <= 0:
            continue
        target = shard if 0 <= shard < shards else shard % shards
        parts[target] = parts.get(target, 0) + units
    return parts
