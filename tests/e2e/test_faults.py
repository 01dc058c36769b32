"""Faults the platform delivers in production, replayed on the local cloud: every accepted scan is
credited exactly once, whatever is delivered twice or dies half-way."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.platform import aws

from tests.e2e.harness import assert_problem, history_of, points_of, scan

if TYPE_CHECKING:
    from collections.abc import Iterator

    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers

pytestmark = pytest.mark.e2e


@pytest.fixture
def deliveries(cloud: LocalCloud) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every (function, SQS record) the queue pump delivers during the test."""
    seen: list[tuple[str, dict[str, Any]]] = []
    invoke = cloud.queues.invoke

    def recording(name: str, event: dict[str, Any]) -> Any:
        seen.extend((name, record) for record in event["Records"])
        return invoke(name, event)

    cloud.queues.invoke = recording
    yield seen
    cloud.queues.invoke = invoke


def claimed_to_queues(cloud: LocalCloud) -> None:
    """Moves committed claims from the stream through the bus onto the queues, delivering nothing."""
    while cloud.stream.step():
        pass


def test_the_same_scan_claimed_message_delivered_twice_credits_once(
    cloud: LocalCloud,
    api: TestClient,
    buyers: Buyers,
    batch: Batch,
    deliveries: list[tuple[str, dict[str, Any]]],
) -> None:
    user = buyers.login()
    assert scan(api, user, batch.codes[0]).status_code == 202
    claimed_to_queues(cloud)
    # SQS (and EventBridge) may deliver one event twice: put an exact copy next to the original.
    sqs = aws.client("sqs")
    [original] = sqs.receive_message(QueueUrl=cloud.queues.queues["points"].url, VisibilityTimeout=0)[
        "Messages"
    ]
    cloud.queues.send("points", original["Body"])

    cloud.pump_until_idle()

    credits = [record for name, record in deliveries if name == "points_earn"]
    assert len(credits) == 2
    assert json.loads(credits[0]["body"])["id"] == json.loads(credits[1]["body"])["id"]
    assert points_of(api, user)["balance"] == batch.points
    assert [e["txn_id"] for e in history_of(api, user)] == [f"scan#{batch.codes[0]}"]


def test_a_worker_dying_after_its_ledger_write_is_redelivered_and_credits_once(
    cloud: LocalCloud,
    api: TestClient,
    buyers: Buyers,
    batch: Batch,
    deliveries: list[tuple[str, dict[str, Any]]],
) -> None:
    user = buyers.login()
    assert scan(api, user, batch.codes[0]).status_code == 202
    claimed_to_queues(cloud)

    # The worker writes the ledger, then its container dies before Lambda deletes the message.
    assert cloud.queues.step("points", delete=False) == 1
    assert points_of(api, user)["balance"] == batch.points
    # The visibility timeout runs out (at once, here) and SQS delivers the message again.
    assert cloud.queues.release_in_flight() == 1
    cloud.pump_until_idle()

    first, second = [record for name, record in deliveries if name == "points_earn"]
    assert first["messageId"] == second["messageId"]
    assert (
        first["attributes"]["ApproximateReceiveCount"],
        second["attributes"]["ApproximateReceiveCount"],
    ) == (
        "1",
        "2",
    )
    assert points_of(api, user)["balance"] == batch.points
    assert len(history_of(api, user)) == 1
    assert cloud.queues.in_flight == {}


def test_a_scan_function_failing_after_its_commit_is_retried_409_and_credited_once(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, batch: Batch
) -> None:
    user = buyers.login()
    ddb = aws.dynamodb()

    def crash_after_commit(**_: Any) -> None:
        raise RuntimeError("the function died after its transaction committed")

    # The claim transaction commits in DynamoDB; the function dies before it can answer.
    ddb.meta.events.register("after-call.dynamodb.TransactWriteItems", crash_after_commit)
    try:
        crashed = scan(api, user, batch.codes[0])
    finally:
        ddb.meta.events.unregister("after-call.dynamodb.TransactWriteItems", crash_after_commit)
    body = assert_problem(crashed, 500, "internal_error")
    assert "transaction" not in json.dumps(body)

    # The mini-program retries: the claim it made is there, so the code is already claimed.
    assert_problem(scan(api, user, batch.codes[0]), 409, "code_already_claimed")

    # The committed claim reached the stream all the same: the points arrive, once.
    cloud.pump_until_idle()
    assert points_of(api, user)["balance"] == batch.points
    [entry] = history_of(api, user)
    assert entry["txn_id"] == f"scan#{batch.codes[0]}"


def test_a_poison_message_lands_in_the_dead_letter_queue_after_max_receives(
    cloud: LocalCloud, deliveries: list[tuple[str, dict[str, Any]]]
) -> None:
    from earnloop.contexts import queue

    poison = {
        "version": "0",
        "id": "5e1f0000-0000-4000-8000-00000000dead",
        "detail-type": "ScanClaimed",
        "source": "earnloop.codes",
        "account": "123456789012",
        "time": "2026-11-23T09:00:00Z",
        "region": cloud.region,
        "resources": [],
        "detail": {"scan_id": "missing every other field"},
    }
    message_id = cloud.queues.send("points", poison)

    cloud.pump_until_idle(redeliver_failures=True)

    attempts = [r for name, r in deliveries if name == "points_earn" and r["messageId"] == message_id]
    assert len(attempts) == queue("points").max_receive_count
    [dead] = cloud.queues.dead_letters("points")
    assert dead["MessageId"] == message_id
    assert json.loads(dead["Body"])["id"] == poison["id"]
    assert cloud.queues.step("points") == 0
