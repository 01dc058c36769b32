"""What only the stats tests need on top of `tests.support.lambdas`: events as the bus delivers them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from earnloop.platform import aws

from tests.support.lambdas import invoke, sample_body, sqs_event

SAMPLE = "sqs/stats_count.json"


def bus_event(detail_type: str, source: str, **detail: Any) -> dict[str, Any]:
    body = sample_body(SAMPLE)
    return {
        **body,
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "detail": {**detail, "event_id": uuid.uuid4().hex, "occurred_at": "2026-11-23T09:00:00Z"},
    }


def points_changed(txn_id: str, user_id: str, entry_type: str, delta: int, created_at: str) -> dict[str, Any]:
    return bus_event(
        "PointsChanged",
        "earnloop.points",
        txn_id=txn_id,
        user_id=user_id,
        entry_type=entry_type,
        delta=delta,
        balance_after=0,
        reason="test",
        created_at=created_at,
    )


def profile_changed(
    user_id: str, nickname: str | None, updated_at: str, visible: bool | None = None
) -> dict[str, Any]:
    extra = {} if visible is None else {"leaderboard_visible": visible}
    return bus_event(
        "ProfileChanged",
        "earnloop.identity",
        user_id=user_id,
        nickname=nickname,
        updated_at=updated_at,
        **extra,
    )


def deliver(*bodies: dict[str, Any]) -> None:
    """Delivers the events to the stats worker, ten to a batch, and asserts none failed."""
    for start in range(0, len(bodies), 10):
        assert invoke("stats_count", sqs_event(SAMPLE, *bodies[start : start + 10])) == {
            "batchItemFailures": []
        }


@contextmanager
def dynamodb_calls(table: str) -> Iterator[list[str]]:
    """The DynamoDB operations made on `table` (physical name) inside the block, through botocore's
    own event hooks (the token check's own reads are the platform's, not the route's)."""
    operations: list[str] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == table or table in params.get("RequestItems", {}):
            operations.append(model.name)

    hook: Callable[..., None] = record
    events = aws.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", hook)
    try:
        yield operations
    finally:
        events.unregister("before-parameter-build.dynamodb", hook)
