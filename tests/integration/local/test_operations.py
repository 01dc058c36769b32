"""Operations on the local cloud: redriving a dead-letter queue, and replaying the stream records the
publisher gave up on (here: while the event bus was gone), as `earnloop redrive` and
`earnloop replay-stream` do."""

from __future__ import annotations

import csv
import functools
import io
import json
from typing import TYPE_CHECKING

import pytest
from earnloop.contexts import routers
from earnloop.local import lambdas
from earnloop.local.cloud import LocalCloud
from earnloop.local.provision import create_messaging
from earnloop.local.redrive import RedriveError, redrive
from earnloop.local.replay import PUBLISHER, failure_queue, replay
from earnloop.platform import aws
from earnloop.platform.app import create_app
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(stream_retry_attempts=1) as running:
        yield running


@pytest.fixture(scope="module")
def api(cloud: LocalCloud) -> TestClient:
    return TestClient(create_app(routers()))


def queued(url: str) -> list[str]:
    sqs = aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    )
    return [m["Body"] for m in messages]


def test_redrive_moves_the_dead_letters_back_to_their_queue(cloud: LocalCloud) -> None:
    tags = cloud.queues.queues["tags"]
    cloud.queues.send("tags", "not an event")
    cloud.pump_until_idle(redeliver_failures=True)
    assert queued(tags.dlq_url) == ["not an event"]

    result = redrive(aws.client("sqs"), "tags")

    assert result.moved == 1
    assert queued(tags.dlq_url) == []
    assert queued(tags.url) == ["not an event"]
    # Still poison: it goes back to the DLQ after its receives, as any failing message does.
    cloud.pump_until_idle(redeliver_failures=True)
    assert queued(tags.dlq_url) == ["not an event"]


def test_an_unknown_queue_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(RedriveError, match="no queue"):
        redrive(aws.client("sqs"), "no-such-queue")


def test_records_the_publisher_gave_up_on_are_replayed_from_the_stream(
    cloud: LocalCloud, api: TestClient
) -> None:
    assert cloud.settings is not None
    admin = {
        "Authorization": "Bearer " + api.post("/v1/auth/login", json={"code": "dev:admin"}).json()["token"]
    }
    login = api.post("/v1/auth/login", json={"code": "dev:erin"}).json()
    erin = {"Authorization": f"Bearer {login['token']}"}
    batch = api.post(
        "/v1/admin/code-batches",
        headers=admin,
        json={"sku": "OPS-1", "product_name": "Ops yogurt", "points": 50, "count": 1, "tags": ["ops"]},
    ).json()
    export = api.get(f"/v1/admin/code-batches/{batch['batch_id']}/codes", headers=admin).text
    [code] = [row["code"] for row in csv.DictReader(io.StringIO(export))]
    cloud.pump_until_idle()

    # Given the bus is gone while a scan is committed: the publisher fails on its record until the
    # pump gives up and records the batch's position in the on-failure queue.
    aws.client("events").delete_event_bus(Name=cloud.settings.event_bus)
    assert api.post("/v1/scans", headers=erin, json={"code": code}).status_code == 202
    cloud.pump_until_idle()
    destination = cloud.stream_failure_queues[PUBLISHER]
    [recorded] = [json.loads(body) for body in queued(destination)]
    assert recorded["DDBStreamBatchInfo"]["batchSize"] == 1
    assert recorded == cloud.stream.failures[-1]
    assert api.get("/v1/points", headers=erin).json()["balance"] == 0

    # When the bus is back and the failed records are replayed.
    create_messaging(cloud.settings)
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=failure_queue("local"))["QueueUrl"]
    assert url == destination
    invoke = functools.partial(lambdas.invoke, PUBLISHER, region=cloud.region)
    report = replay(sqs, aws.client("dynamodbstreams"), url, invoke, cloud.region)
    cloud.pump_until_idle()

    # Then the scan is credited, and the queue holds nothing more to replay.
    assert (len(report.replayed), report.failed, report.expired) == (1, [], [])
    assert queued(destination) == []
    assert api.get("/v1/points", headers=erin).json()["balance"] == 50
    scan = api.get(f"/v1/scans/{batch['batch_id']}-1", headers=erin).json()
    assert scan["status"] == "credited"
