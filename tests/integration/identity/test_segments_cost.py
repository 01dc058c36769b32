"""The daily segment move's DynamoDB calls grow with the users crossing a threshold, never with all
users: the same calls with 10 and with 1,000 idle users (active lately, at risk a while, asleep).

The job's own pieces run here (`plan_pieces`, `move_piece`) on a counting client against a bare moto
identity table (at 1,000 users moto still answers an index query quickly); the handlers around them
are tested on the whole moto cloud (test_segments.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
from earnloop.identity.context import CONTEXT as IDENTITY
from earnloop.identity.segments_job import move_piece, plan_pieces
from earnloop.identity.segments_rules import Thresholds, index_shard
from earnloop.identity.segments_store import SegmentsStore, activity_partition
from earnloop.identity.store import user_key
from earnloop.local.provision import table_request
from earnloop.platform.dynamo import marshal, unmarshal
from moto import mock_aws

from tests.integration.points.expiry_harness import at

# Two shards: the calls per piece are what is measured (moto reads the whole table per index query).
SHARDS = 2
CROSSING = 10
ON = date(2027, 3, 31)
LIMITS = Thresholds()


def user_item(user_id: str, last_active: date, segment: str, shards: int = SHARDS) -> dict[str, Any]:
    item: dict[str, Any] = {
        **user_key(user_id),
        "entity": "User",
        "user_id": user_id,
        "created_at": "2026-01-01T00:00:00.000Z",
        "first_scan_at": "2026-01-01T00:00:00.000Z",
        "last_active_at": f"{last_active.isoformat()}T04:00:00.000Z",
        "activity_count": 3,
        "points_volume": 150,
        "segment": segment,
        "lc_version": 1,
    }
    if segment != "sleeping":
        item["act_pk"] = activity_partition(last_active, index_shard(user_id, shards))
        item["act_sk"] = f"{segment}#{user_id}"
    return item


def idle_users(count: int) -> list[dict[str, Any]]:
    """Users on no crossing date: active within 29 days, at risk 31 to 86 days, or asleep."""
    items = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            items.append(user_item(f"idle-{n:05}", ON - timedelta(days=n % 29), "active"))
        elif kind == 1:
            items.append(user_item(f"idle-{n:05}", ON - timedelta(days=33 + n % 54), "at_risk"))
        else:
            items.append(user_item(f"idle-{n:05}", ON - timedelta(days=100 + n % 50), "sleeping"))
    return items


def put_all(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    requests = [{"PutRequest": {"Item": marshal(item)}} for item in items]
    for start in range(0, len(requests), 25):
        assert not ddb.batch_write_item(RequestItems={table: requests[start : start + 25]}).get(
            "UnprocessedItems"
        )


@pytest.mark.parametrize("idle", [10, 1_000])
def test_the_move_makes_the_same_dynamodb_calls_whatever_the_number_of_idle_users(idle, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="ap-east-1")
        table = "identity-cost"
        assert IDENTITY.table is not None
        ddb.create_table(**table_request(IDENTITY.table, table))
        measure(ddb, table, idle)


def measure(ddb: Any, table: str, idle: int) -> None:
    store = SegmentsStore(ddb, table, SHARDS)
    crossing = [user_item(f"due-{n}", ON - timedelta(days=30), "active") for n in range(CROSSING)]
    put_all(ddb, table, idle_users(idle) + crossing)
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    ddb.meta.events.register("before-call.dynamodb", count)
    pieces = plan_pieces(ON, SHARDS, LIMITS)
    results = [move_piece(piece, store, LIMITS, at("2027-03-30T19:00"), lambda: 60_000) for piece in pieces]

    assert sum(sum(r.moved.values()) for r in results) == CROSSING and all(r.rest is None for r in results)
    # One query per piece (each shard of each crossing date and segment), one update per user crossing.
    assert calls == {"Query": len(pieces), "UpdateItem": CROSSING}
    moved = unmarshal(ddb.get_item(TableName=table, Key=marshal(user_key("due-0")))["Item"])
    assert moved["segment"] == "at_risk" and moved["lc_version"] == 2


def test_a_piece_short_of_time_resumes_after_the_last_user_it_moved(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="ap-east-1")
        assert IDENTITY.table is not None
        ddb.create_table(**table_request(IDENTITY.table, "identity-resume"))
        store = SegmentsStore(ddb, "identity-resume", 1)
        put_all(
            ddb,
            "identity-resume",
            [user_item(f"due-{n}", ON - timedelta(days=30), "active", shards=1) for n in range(3)],
        )
        piece = next(
            p
            for p in plan_pieces(ON, 1, LIMITS)
            if p.segment == "active" and p.day == ON - timedelta(days=30)
        )
        now = at("2027-03-30T19:00")

        first = move_piece(piece, store, LIMITS, now, lambda: 0)  # out of time after one user
        assert first.moved == {"at_risk": 1} and first.rest is not None and first.rest.after == "active#due-0"
        rest = move_piece(first.rest, store, LIMITS, now, lambda: 60_000)
        again = move_piece(piece, store, LIMITS, now, lambda: 60_000)  # a redelivered piece: nobody twice
        assert (rest.moved, rest.rest, again.moved) == ({"at_risk": 2}, None, {})
