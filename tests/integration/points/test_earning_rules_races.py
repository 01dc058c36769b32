"""Races on DynamoDB Local (moto's transactions are not thread-safe): two points workers crediting
the same user's posts on the same day never pass the rule's cap; of two admins changing one rule
version at once, one writes and the other is told; concurrent check-ins of one user give one."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.errors import ConcurrencyError, LimitReachedError
from earnloop.points.checkins import CheckInStore, check_in
from earnloop.points.context import CONTEXT as POINTS
from earnloop.points.post_rewards import PostPublished, earn_for_post
from earnloop.points.rule_models import EarningRuleChange, RuleTerms
from earnloop.points.rule_store import RuleChangedError, RuleStore
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, cap_key

from tests.conftest import forget_settings_and_secrets
from tests.support.races import fresh_table, race_client, run_together

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_dynamodb import DynamoDBClient

AUTHOR = "li"
PUBLISHED = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
WORKERS = 2
POSTS_PER_WORKER = 3


@pytest.fixture
def points_table(
    dynamodb_local: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DynamoDBClient, str]]:
    """A fresh points table that the functions' own settings and client name (the rules are read
    through them), and a race client on it."""
    ddb = race_client(dynamodb_local, WORKERS * 4)
    table = fresh_table(ddb, POINTS.table)
    monkeypatch.setenv("EARNLOOP_TABLES", json.dumps({"points": table}))
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)
    forget_settings_and_secrets()
    aws.reset_clients()
    yield ddb, table
    monkeypatch.undo()
    forget_settings_and_secrets()
    aws.reset_clients()


def change(version: int, points: int, cap: int, by: str) -> EarningRuleChange:
    before = RuleTerms(points=10, daily_cap=30, enabled=True)
    after = RuleTerms(points=points, daily_cap=cap, enabled=True)
    return EarningRuleChange(
        rule="post", version=version, changed_at=iso(PUBLISHED), changed_by=by, before=before, after=after
    )


def test_two_workers_crediting_one_author_on_one_day_never_pass_the_rules_cap(points_table) -> None:
    ddb, table = points_table
    # The stored rule, not the default (10 / 30): 7 points, at most 20 a day, so two posts fit.
    RuleStore(ddb, table).change(change(1, 7, 20, "boss"))
    # A short backoff: the race is the same, the test waits less than a Lambda would.
    ledger = Ledger(
        PointsStore(ddb, table), pause=lambda attempt: time.sleep(random.uniform(0, 0.002 * attempt))
    )

    def worker(number: int) -> Callable[[], None]:
        def deliver_all() -> None:
            for n in range(POSTS_PER_WORKER):
                published = PostPublished(
                    post_id=f"P{number}-{n}", author_id=AUTHOR, published_at=iso(PUBLISHED)
                )
                while True:  # SQS redelivers a message whose handler lost every race
                    try:
                        earn_for_post(published, ledger)
                        break
                    except ConcurrencyError:
                        continue

        return deliver_all

    run_together([worker(n) for n in range(WORKERS)])
    store = PointsStore(ddb, table)
    entries = store.entries(AUTHOR)
    assert [e.delta for e in entries] == [7, 7]
    assert store.account(AUTHOR).balance == 14
    key = marshal(cap_key(AUTHOR, "post", PUBLISHED.date()))
    counter = ddb.get_item(TableName=table, Key=key, ConsistentRead=True)
    assert unmarshal(counter["Item"])["n"] == 14


def test_two_admins_changing_one_version_at_once_write_one_change_and_its_audit(points_table) -> None:
    ddb, table = points_table
    store = RuleStore(ddb, table)

    def attempt(by: str, points: int) -> Callable[[], str]:
        def run() -> str:
            try:
                store.change(change(1, points, 50, by))
            except RuleChangedError:
                return "refused"
            return "written"

        return run

    outcomes = run_together([attempt("boss1", 11), attempt("boss2", 12)])
    assert sorted(outcomes) == ["refused", "written"]
    winner = "boss1" if outcomes[0] == "written" else "boss2"
    rule = store.rule("post")
    assert (rule.version, rule.updated_by, rule.points) == (1, winner, 11 if winner == "boss1" else 12)
    audit, _ = store.changes("post", 10, None)
    assert [(c.version, c.changed_by) for c in audit] == [(1, winner)]


def test_concurrent_check_ins_of_one_user_on_one_day_give_one(points_table) -> None:
    ddb, table = points_table
    ledger, store = Ledger(PointsStore(ddb, table)), CheckInStore(ddb, table)

    def attempt() -> str:
        while True:  # a client retries a 409 `conflict`; `limit_reached` is final
            try:
                result = check_in(AUTHOR, PUBLISHED, ledger, store)
            except LimitReachedError:
                return "limit_reached"
            except ConcurrencyError:
                continue
            return f"{result.streak}:{result.points}"

    outcomes = run_together([attempt for _ in range(4)])
    assert sorted(outcomes) == ["1:5", "limit_reached", "limit_reached", "limit_reached"]
    assert [e.delta for e in PointsStore(ddb, table).entries(AUTHOR)] == [5]
