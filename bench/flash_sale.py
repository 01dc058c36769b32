"""A flash sale against DynamoDB Local: threads of buyers take stock through the mall's sharded
stock (`mall/stock.py`, `mall/allocation.py`), each take committed with an order in one
transaction, as the redemption does.

Run: `.venv/bin/python bench/flash_sale.py [--threads 16] [--buyers 400] [--stock 300]
[--shards 1 16] [--coupon]`. For each shard count it reports takes/s, tries, dry-shard replans and
transaction conflicts per take, latencies, and the writes each shard took (attempted and
committed): the hot-key argument in numbers, projected to the 5,000 redemptions/s target (2 WCU a
transactional write; 1,000 WCU/s a partition). Prints the figures and records them in
`bench/results/flash_sale.json`. DynamoDB Local on a shared 2-core machine is ~100x slower than
DynamoDB and serialises more: its rates show our code path's costs, not production capacity; the
per-shard shares are what carries over.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

RESULTS = Path(__file__).resolve().parent / "results" / "flash_sale.json"
TARGET_PER_S = 5_000
WCU_PER_TAKE = 2
PARTITION_WCU = 1_000


def make_table(ddb: DynamoDBClient) -> str:
    from earnloop.local.provision import table_request
    from earnloop.mall.context import CONTEXT

    assert CONTEXT.table is not None
    name = f"mall-bench-{uuid.uuid4().hex[:8]}"
    ddb.create_table(**table_request(CONTEXT.table, name))
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return name


def sale(
    ddb: DynamoDBClient, threads: int, buyers: int, stock: int, shards: int, coupon: bool
) -> dict[str, Any]:
    """One sale on a fresh table: `buyers` buyers over `threads` threads, one unit each."""
    from earnloop.mall.allocation import Allocation, Tries, allocate_and_commit
    from earnloop.mall.coupons import CouponPool
    from earnloop.mall.stock import StockStore
    from earnloop.platform.dynamo import TxAction, marshal, transact
    from earnloop.platform.errors import ConcurrencyError, OutOfStockError

    table = make_table(ddb)
    store = StockStore(ddb, table)
    pool = CouponPool(ddb, table, store) if coupon else None
    reward = "flash"
    if pool is not None:
        transact(ddb, list(store.create_actions(reward, 0, shards)))
        codes = [f"FLASH-{i:06d}" for i in range(stock)]
        for start in range(0, stock, 1_000):
            pool.add_codes(reward, codes[start : start + 1_000], shards)
    else:
        transact(ddb, list(store.create_actions(reward, stock, shards)))

    lock = threading.Lock()
    queue = iter(range(buyers))
    attempted: Counter[int] = Counter()
    # Writes asked of each shard while under 80 % of the stock was sold: the sale's steady part,
    # before the last units draw every replan to the few shards that still hold some.
    steady: Counter[int] = Counter()
    committed: Counter[int] = Counter()
    latencies: list[float] = []
    by_outcome: dict[str, Tries] = {}
    outcome: Counter[str] = Counter()
    sold_now = [0]

    def order_commit(order_id: str) -> Callable[[Allocation], Allocation]:
        def commit(allocation: Allocation) -> Allocation:
            with lock:
                attempted.update(allocation.parts.keys())
                if sold_now[0] < 0.8 * stock:
                    steady.update(allocation.parts.keys())
            order = {"pk": f"ORDER#{order_id}", "sk": "ORDER", "parts": sorted(allocation.parts.items())}
            put = {
                "Put": {
                    "TableName": table,
                    "Item": marshal(order),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            transact(ddb, [*allocation.actions, TxAction(put)])
            with lock:
                sold_now[0] += 1
            return allocation

        return commit

    def buyer() -> None:
        while True:
            with lock:
                if next(queue, None) is None:
                    return
            order_id = uuid.uuid4().hex
            tries = Tries()
            began = time.perf_counter()
            result: Allocation | None = None
            kind = "gave_up"
            try:
                result = allocate_and_commit(
                    store, pool, reward_id=reward, quantity=1, shards=shards,
                    order_id=order_id, commit=order_commit(order_id), tries=tries,
                )  # fmt: skip
                kind = "sold"
            except OutOfStockError:
                kind = "out_of_stock"
            except ConcurrencyError:
                pass
            elapsed = time.perf_counter() - began
            with lock:
                outcome[kind] += 1
                if result is not None:
                    committed.update(result.parts)
                    latencies.append(elapsed)
                total = by_outcome.setdefault(kind, Tries())
                for name in ("attempts", "dry_shards", "codes_lost", "conflicts"):
                    setattr(total, name, getattr(total, name) + getattr(tries, name))

    began = time.perf_counter()
    workers = [threading.Thread(target=buyer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began

    left = store.levels(reward, shards, consistent=True)
    sold = outcome["sold"]
    assert sold + sum(left.values()) == stock, "units lost or invented"
    assert min(left.values()) >= 0, "a shard went below zero"

    def per(kind: str, name: str) -> float | None:
        count = outcome[kind]
        return round(getattr(by_outcome[kind], name) / count, 3) if count else None

    def share(counts: Counter[int]) -> float:
        return round(max(counts.values()) / sum(counts.values()), 3) if counts else 0.0

    latencies.sort()
    return {
        "shards": shards,
        "coupon": coupon,
        "threads": threads,
        "buyers": buyers,
        "stock": stock,
        "sold": sold,
        "out_of_stock": outcome["out_of_stock"],
        "gave_up": outcome["gave_up"],
        "seconds": round(wall, 2),
        "takes_per_s": round(sold / wall, 1),
        "buyers_per_s": round(buyers / wall, 1),
        # Per buyer who got a unit: commits tried, replans after a dry shard, conflicts, lost codes.
        "sold_buyers": {
            "count": sold,
            "tries": per("sold", "attempts"),
            "dry_shard_replans": per("sold", "dry_shards"),
            "conflicts": per("sold", "conflicts"),
            "codes_lost": per("sold", "codes_lost"),
        },
        # Per buyer told out_of_stock: what hearing it cost.
        "out_of_stock_buyers": {"count": outcome["out_of_stock"], "tries": per("out_of_stock", "attempts")},
        "writes_per_unit_sold": round(sum(attempted.values()) / max(1, sold), 2),
        "take_ms_p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "take_ms_p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "shard_writes_attempted": {str(s): attempted[s] for s in range(shards)},
        "shard_writes_steady": {str(s): steady[s] for s in range(shards)},
        "shard_takes_committed": {str(s): committed[s] for s in range(shards)},
        "hottest_shard_share_steady": share(steady),
        "hottest_shard_share_overall": share(attempted),
        # At the target, the hottest shard's write rate if the crowd spread as it did here
        # (2 WCU a transactional write; writes per unit sold included).
        "projected_hottest_shard_wcu_per_s_at_5000_steady": round(
            TARGET_PER_S
            * WCU_PER_TAKE
            * share(steady)
            * sum(steady.values())
            / max(1, min(sold, 0.8 * stock))
        ),
        "partition_limit_wcu_per_s": PARTITION_WCU,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--stock", type=int, default=300)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--coupon", action="store_true", help="a coupon reward: each take draws a code too")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--name", help="the record's key in the results (default: stock or coupon)")
    args = parser.parse_args()

    from earnloop.local.dynamodb_local import DynamoDBLocal

    emulator = DynamoDBLocal()
    emulator.start()
    try:
        config = Config(
            max_pool_connections=args.threads + 4, retries={"mode": "standard", "max_attempts": 1}
        )
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=emulator.endpoint,
            region_name="ap-east-1",
            # DynamoDB Local accepts any credentials; none may be configured here.
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=config,
        )
        runs = [sale(ddb, args.threads, args.buyers, args.stock, n, args.coupon) for n in args.shards]
    finally:
        emulator.stop()

    for run in runs:
        print(json.dumps({k: v for k, v in run.items() if not k.startswith("shard_")}, indent=1))
    recorded = json.loads(args.output.read_text()) if args.output.is_file() else {}
    key = args.name or ("coupon" if args.coupon else "stock")
    recorded[key] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "emulator": "DynamoDB Local 3.1.0 (in memory)",
        },
        "runs": runs,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(recorded, indent=2) + "\n")
    print(f"recorded in {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
