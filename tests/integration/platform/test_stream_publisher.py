"""The stream publisher on its sample event, against moto's bus, rules and queues."""

from __future__ import annotations

from typing import Any

import pytest
from earnloop.local.samples import load
from earnloop.platform import aws

from tests.support.lambdas import drain, invoke


def test_a_claim_insert_becomes_one_scan_claimed_event_on_the_points_and_tags_queues(moto_cloud):
    response = invoke("stream_publisher", load("dynamodb/stream_publisher.json"))

    assert response == {"batchItemFailures": []}
    for queue in ("points", "tags"):
        [event] = drain(moto_cloud.queues[queue].main)
        assert event["source"] == "earnloop.codes"
        assert event["detail-type"] == "ScanClaimed"
        detail = event["detail"]
        assert detail["scan_id"] == "AK7Q2M3X-31"
        assert detail["points"] == 50
        assert detail["tags"] == ["oat-peach flavour fan", "yogurt"]
        assert detail["event_id"] == "7de3041dd709b024af6f29e4fa13d34c:0"
        assert detail["occurred_at"] == "2026-11-23T09:00:00.000Z"
    # The rate counter's MODIFY means nothing to anyone; no PointsChanged was derived either.
    assert drain(moto_cloud.queues["claims"].main) == []


def test_a_failed_put_is_reported_at_its_record_so_lambda_retries_from_there(moto_cloud):
    event = load("dynamodb/stream_publisher.json")
    # The second record is made a claim too, so both records yield an event; the bus rejects the second.
    second = event["Records"][1]
    second["eventName"] = "INSERT"
    second["dynamodb"]["NewImage"] = {
        **event["Records"][0]["dynamodb"]["NewImage"],
        "scan_id": {"S": "AK7Q2M3X-32"},
    }
    second["dynamodb"].pop("OldImage")

    def reject_second(parsed: dict[str, Any], **_: Any) -> None:
        entries = parsed.get("Entries", [])
        if len(entries) == 2:
            entries[1] = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}
            parsed["FailedEntryCount"] = 1

    events_client = aws.client("events")
    events_client.meta.events.register("after-call.events.PutEvents", reject_second)
    try:
        response = invoke("stream_publisher", event)
    finally:
        events_client.meta.events.unregister("after-call.events.PutEvents", reject_second)

    assert response == {"batchItemFailures": [{"itemIdentifier": second["dynamodb"]["SequenceNumber"]}]}


def test_records_from_a_table_it_does_not_know_are_skipped(moto_cloud):
    event = load("dynamodb/stream_publisher.json")
    for record in event["Records"]:
        record["eventSourceARN"] = record["eventSourceARN"].replace(
            "earnloop-local-codes", "someone-elses-table"
        )

    assert invoke("stream_publisher", event) == {"batchItemFailures": []}
    assert drain(moto_cloud.queues["points"].main) == []


@pytest.mark.parametrize("entity", ["LedgerEntry", "User"])
def test_other_contexts_items_are_derived_by_their_own_context(moto_cloud, entity):
    from earnloop.contexts import derivers
    from earnloop.platform.events import Change

    image = {
        "entity": entity,
        "txn_id": "scan#X",
        "user_id": "u1",
        "entry_type": "earn",
        "delta": 5,
        "balance_after": 5,
        "reason": "scan",
        "created_at": "2026-11-23T09:00:00.000Z",
    }
    table = "points" if entity == "LedgerEntry" else "identity"
    [derived] = derivers()[table](Change(table, "INSERT", None, image))
    assert derived.detail_type == ("PointsChanged" if entity == "LedgerEntry" else "UserRegistered")
    # A change of another entity in the same table means nothing.
    assert derivers()[table](Change(table, "INSERT", None, {**image, "entity": "Other"})) == []
