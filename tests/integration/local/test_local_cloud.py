"""The local cloud on moto alone (no JVM): provisioning, and the publisher and pumps carrying a
committed claim to every consumer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.codes.codec import QrKeys, sign
from earnloop.codes.store import claim_key
from earnloop.local.cloud import LocalCloud
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.points.store import account_key, entry_key

if TYPE_CHECKING:
    from collections.abc import Iterator

BATCH = "AK7Q2M3X"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(dynamodb="moto") as running:
        yield running


def code(cloud: LocalCloud, serial: int = 7) -> str:
    return sign(QrKeys.from_secret(cloud.secret_values["qr_keys"]), BATCH, serial)


def claim_item(cloud: LocalCloud, user_id: str, serial: int) -> dict[str, Any]:
    """The claim a scan commits (the codes store's shape), written directly: this tests the plumbing."""
    return {
        **claim_key(BATCH, serial),
        "entity": "Claim",
        "scan_id": f"{BATCH}-{serial}",
        "code": code(cloud, serial),
        "batch_id": BATCH,
        "serial": serial,
        "user_id": user_id,
        "points": 50,
        "sku": "YOG-OAT-PEACH-250",
        "product_name": "Oat & peach yogurt",
        "tags": ["oat-peach flavour fan", "yogurt"],
        "claimed_at": "2026-11-23T09:00:00.000Z",
        "status": "accepted",
    }


def stored(table: str, key: dict[str, str]) -> dict[str, Any] | None:
    item = aws.dynamodb().get_item(TableName=table, Key=marshal(key), ConsistentRead=True).get("Item")
    return unmarshal(item) if item else None


def test_every_table_queue_rule_and_secret_is_provisioned_from_the_definitions(cloud: LocalCloud) -> None:
    from earnloop import contexts

    assert cloud.settings is not None
    tables = aws.dynamodb().list_tables()["TableNames"]
    assert sorted(tables) == sorted(cloud.settings.table_name(t.name) for t in contexts.tables())
    assert set(cloud.queues.queues) == {q.name for q in contexts.queues()}
    # ListRules answers 50 rules a page.
    pages = aws.client("events").get_paginator("list_rules").paginate(EventBusName=cloud.settings.event_bus)
    rules = [rule for page in pages for rule in page["Rules"]]
    assert {r["Name"] for r in rules} == {r.name for r in contexts.rules()}
    assert len(cloud.token("u1")) > 20


def test_a_committed_claim_is_credited_tagged_and_marked_credited_by_pumping(cloud: LocalCloud) -> None:
    settings = cloud.settings
    assert settings is not None
    aws.dynamodb().put_item(TableName=settings.table_name("codes"), Item=marshal(claim_item(cloud, "u1", 7)))

    moved = cloud.pump_until_idle()

    assert moved >= 5  # claim -> ScanClaimed x2 -> ledger entry -> PointsChanged -> claim update
    account = stored(settings.table_name("points"), account_key("u1"))
    assert account is not None and account["balance"] == 50
    assert stored(settings.table_name("points"), entry_key("u1", f"scan#{code(cloud)}")) is not None
    claim = stored(settings.table_name("codes"), claim_key(BATCH, 7))
    assert claim is not None and claim["status"] == "credited"
    assert cloud.stream.failures == []
    assert cloud.queues.in_flight == {}


def test_a_bus_rejection_is_retried_from_the_reported_stream_record(cloud: LocalCloud) -> None:
    settings = cloud.settings
    assert settings is not None
    events = aws.client("events")
    rejected: list[int] = []

    def reject_first_put(parsed: dict[str, Any], **_: Any) -> None:
        if not rejected:
            rejected.append(len(parsed["Entries"]))
            failure = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}
            parsed["Entries"] = [failure for _ in parsed["Entries"]]
            parsed["FailedEntryCount"] = len(parsed["Entries"])

    events.meta.events.register("after-call.events.PutEvents", reject_first_put)
    try:
        aws.dynamodb().put_item(
            TableName=settings.table_name("codes"), Item=marshal(claim_item(cloud, "u2", 8))
        )
        cloud.pump_until_idle()
    finally:
        events.meta.events.unregister("after-call.events.PutEvents", reject_first_put)

    assert rejected == [1]
    account = stored(settings.table_name("points"), account_key("u2"))
    assert account is not None and account["balance"] == 50


def test_a_queue_message_is_delivered_to_its_worker_in_aws_shape(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(cloud.queues, "invoke", lambda name, event: seen.extend(event["Records"]))
    aws.client("events").put_events(
        Entries=[
            {
                "Source": "earnloop.points",
                "DetailType": "PointsChanged",
                "Detail": json.dumps({"txn_id": "scan#X", "entry_type": "earn"}),
                "EventBusName": cloud.settings.event_bus if cloud.settings else "",
            }
        ]
    )

    cloud.pump_until_idle()

    # A scan credit also reaches other queues (the statistics count it): look at the claims one.
    [record] = [r for r in seen if r["eventSourceARN"].endswith(":earnloop-local-claims")]
    assert record["eventSource"] == "aws:sqs"
    body = json.loads(record["body"])
    assert body["account"] == "123456789012" and body["detail-type"] == "PointsChanged"
