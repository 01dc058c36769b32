"""Runs the daily expiry as AWS would, under moto: the schedule's event to `points_expire_plan`,
then each message of the `expiry` queue to `points_expire`, one per invocation (batch size 1),
until the queue is empty. Accounts are made by the ledger itself, earning on chosen days."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from earnloop.local.lambdas import load_handler
from earnloop.local.samples import load
from earnloop.platform import aws
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.service import Ledger

from tests.support.lambdas import invoke, sqs_event

if TYPE_CHECKING:
    from collections.abc import Callable

PLAN_SAMPLE = "scheduled/points_expire_plan.json"
PIECE_SAMPLE = "sqs/points_expire.json"


def at(text: str) -> datetime:
    """A UTC moment written `2026-12-31T16:10`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def earn(user: str, points: int, when: str, txn: str | None = None) -> None:
    command = EarnCommand(
        txn_id=txn or f"earn#{user}#{when}", user_id=user, points=points, reason="test", actor=user
    )
    assert Ledger.default().earn(command, at(when)).status == "applied"


def spend(user: str, points: int, when: str) -> None:
    command = SpendCommand(
        txn_id=f"spend#{user}#{when}", user_id=user, points=points, reason="test", actor=user
    )
    assert Ledger.default().spend(command, at(when)).status == "applied"


def plan(when: str) -> dict[str, Any]:
    """The schedule's run due at `when` (UTC)."""
    event = {**load(PLAN_SAMPLE), "time": f"{when}:00Z"}
    return invoke("points_expire_plan", event)  # type: ignore[no-any-return]


def take(queue_url: str) -> list[dict[str, Any]]:
    """Every message now on the queue, deleted, as their bodies."""
    sqs = aws.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def work(queue_url: str, context: Callable[[], Any] | None = None) -> int:
    """Hands each expiry message to the worker, one per invocation (with a new `context()` when
    given), until none is left, the messages it sends itself included; returns the invocations."""
    invocations = 0
    while pieces := take(queue_url):
        for piece in pieces:
            event = sqs_event(PIECE_SAMPLE, piece)
            if context is None:
                answer = invoke("points_expire", event)
            else:
                answer = load_handler("points_expire")(event, context())
            assert answer == {"batchItemFailures": []}
            invocations += 1
    return invocations


def run(queue_url: str, when: str) -> int:
    """The whole job of the run due at `when`: plan, then every piece; returns the invocations."""
    plan(when)
    return work(queue_url)
