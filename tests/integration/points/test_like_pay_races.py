"""Races of likes' points on DynamoDB Local (moto's transactions are not thread-safe): the same
like delivered to several workers at once, and two overlapping pay runs, pay the liker once and
the author once."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.platform import aws
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.errors import ConcurrencyError
from earnloop.points.context import CONTEXT as POINTS
from earnloop.points.like_pay import pay
from earnloop.points.like_pay_store import LikePayStore
from earnloop.points.like_rewards import PostLiked, earn_for_like
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.conftest import forget_settings_and_secrets
from tests.support.races import fresh_table, race_client, run_together

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_dynamodb import DynamoDBClient

THREADS = 4


@pytest.fixture
def points_table(
    dynamodb_local: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DynamoDBClient, str]]:
    """A fresh points table that the functions' own settings and client name (the earning rules
    are read through them), and a race client on it."""
    ddb = race_client(dynamodb_local, THREADS * 4)
    table = fresh_table(ddb, POINTS.table)
    monkeypatch.setenv("EARNLOOP_TABLES", json.dumps({"points": table}))
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)
    forget_settings_and_secrets()
    aws.reset_clients()
    yield ddb, table
    monkeypatch.undo()
    forget_settings_and_secrets()
    aws.reset_clients()


def redelivered(step: Callable[[], Any], times: int = 6) -> Any:
    """A message whose handling lost its race (SQS redelivers it), handled again."""
    for attempt in range(times):
        try:
            return step()
        except ConcurrencyError:
            if attempt + 1 == times:
                raise
            time.sleep(random.uniform(0, 0.01))
    return None


def test_one_like_delivered_to_several_workers_and_two_pay_runs_pay_each_side_once(points_table) -> None:
    ddb, table = points_table
    ledger = Ledger(PointsStore(ddb, table), pause=lambda attempt: time.sleep(random.uniform(0, 0.002)))
    owed = LikePayStore(ddb, table)
    like = PostLiked(post_id="P1", user_id="wang", post_author_id="li", liked_at=iso(utcnow()))
    other = PostLiked(post_id="P1", user_id="zhao", post_author_id="li", liked_at=iso(utcnow()))

    deliveries = [like, like, like, other]
    run_together([lambda e=e: redelivered(lambda: earn_for_like(e, ledger, owed)) for e in deliveries])
    later = utcnow() + timedelta(minutes=3)
    run_together([lambda: redelivered(lambda: pay(owed, ledger, later)) for _ in range(2)])

    store = PointsStore(ddb, table)
    assert [(e.txn_id, e.delta) for e in store.entries("wang")] == [("like_given#P1#wang", 1)]
    assert sum(e.delta for e in store.entries("zhao")) == 1
    received = store.entries("li")
    assert sum(e.delta for e in received) == 4  # two likers, 2 points each, once
    assert all(e.txn_id.startswith("like_received#li#") for e in received)
    account = store.account("li")
    assert account.balance == sum(account.buckets.values()) == 4
