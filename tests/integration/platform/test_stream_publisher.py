"""The stream publisher on its sample event, against moto's bus, rules and queues."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from earnloop.local.samples import load
from earnloop.platform import aws
from earnloop.platform.settings import get_settings

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


def claim_record(serial: int, sequence: str) -> dict[str, Any]:
    """The sample claim INSERT, for another serial at another position in the shard."""
    record = copy.deepcopy(load("dynamodb/stream_publisher.json")["Records"][0])
    record["eventID"] = f"claim-{serial}"
    record["dynamodb"]["SequenceNumber"] = sequence
    image = record["dynamodb"]["NewImage"]
    image["pk"] = record["dynamodb"]["Keys"]["pk"] = {"S": f"CODE#AK7Q2M3X#{serial}"}
    image["serial"] = {"N": str(serial)}
    image["scan_id"] = {"S": f"AK7Q2M3X-{serial}"}
    return record


@pytest.mark.parametrize(
    "poison",
    [
        pytest.param(lambda image: image.pop("points"), id="an image its event model rejects"),
        pytest.param(lambda image: image.update(points={"N": "many"}), id="an image nothing can read"),
    ],
)
def test_one_bad_record_fails_alone_and_the_records_before_it_are_published_once(moto_cloud, poison):
    records = [claim_record(31, "101"), claim_record(32, "102"), claim_record(33, "103")]
    poison(records[1]["dynamodb"]["NewImage"])

    response = invoke("stream_publisher", {"Records": records})

    # Lambda retries from 102; 101's event is on the queue once, 103's is not put before that retry.
    assert response == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    assert [e["detail"]["scan_id"] for e in drain(moto_cloud.queues["points"].main)] == ["AK7Q2M3X-31"]

    # The retry Lambda makes from the failure point, once the record reads (a fixed deriver):
    # nothing before it is published again.
    retried = invoke("stream_publisher", {"Records": [claim_record(32, "102"), claim_record(33, "103")]})
    assert retried == {"batchItemFailures": []}
    assert [e["detail"]["scan_id"] for e in drain(moto_cloud.queues["points"].main)] == [
        "AK7Q2M3X-32",
        "AK7Q2M3X-33",
    ]


def test_a_bus_that_refuses_the_call_fails_the_first_record_not_yet_published(moto_cloud):
    records = [claim_record(41, "201"), claim_record(42, "202")]
    aws.client("events").delete_event_bus(Name=get_settings().event_bus)

    assert invoke("stream_publisher", {"Records": records}) == {
        "batchItemFailures": [{"itemIdentifier": "201"}]
    }


def test_an_account_frozen_with_no_points_in_dynamodb_locals_shape_publishes_its_ledger_entry(moto_cloud):
    """DynamoDB Local writes an account's empty bucket map as `{}` (no type descriptor)."""
    arn = "arn:aws:dynamodb:ddblocal:000000000000:table/earnloop-local-points/stream/2026-12-02T12:11:04.637"
    account = {
        "pk": {"S": "ACCT#u1"},
        "sk": {"S": "ACCOUNT"},
        "entity": {"S": "Account"},
        "balance": {"N": "0"},
        "buckets": {},
        "status": {"S": "active"},
        "version": {"N": "2"},
    }
    entry = {
        "pk": {"S": "ACCT#u1"},
        "sk": {"S": "TXN#unfreeze#u1#1"},
        "entity": {"S": "LedgerEntry"},
        "txn_id": {"S": "unfreeze#u1#1"},
        "user_id": {"S": "u1"},
        "entry_type": {"S": "unfreeze"},
        "delta": {"N": "0"},
        "balance_after": {"N": "0"},
        "reason": {"S": "appeal accepted"},
        "buckets": {},
        "created_at": {"S": "2026-12-02T12:11:04.000Z"},
    }

    def stream(sequence: str, kind: str, new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Keys": {"pk": new["pk"], "sk": new["sk"]},
            "NewImage": new,
            "SequenceNumber": sequence,
        }
        if old is not None:
            data["OldImage"] = old
        return {"eventID": f"e{sequence}", "eventName": kind, "eventSourceARN": arn, "dynamodb": data}

    records = [
        stream("301", "MODIFY", account, {**account, "status": {"S": "frozen"}, "version": {"N": "1"}}),
        stream("302", "INSERT", entry, None),
    ]

    assert invoke("stream_publisher", {"Records": records}) == {"batchItemFailures": []}
    [event] = drain(moto_cloud.queues["points"].main)
    assert (event["detail-type"], event["detail"]["entry_type"]) == ("PointsChanged", "unfreeze")
