"""The stream publisher on the records real writes produce, in both emulators' image shapes: every
item type of every table, before and after each state change (users and their identity links,
profile edits, accounts empty / with buckets / frozen / unfrozen, ledger entries, holds made and
released, batches created and revoked, claims accepted and credited, rate counters, tag guards).
DynamoDB Local renders an empty map without its type descriptor (`{}`), moto with it (`{"M": {}}`):
no record may fail, and the events derived are exactly what the changes mean."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.contexts import derivers, routers
from earnloop.local.cloud import LocalCloud
from earnloop.platform.app import create_app
from earnloop.platform.stream_records import parse
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e

Delivery = tuple[dict[str, Any], Any]


@pytest.fixture(scope="module", params=["dynamodb-local", "moto"])
def journey(request: pytest.FixtureRequest) -> Iterator[tuple[str, LocalCloud, list[Delivery]]]:
    """A run through every state change, with every batch the stream pump handed the publisher."""
    with LocalCloud(dynamodb=request.param) as cloud:
        deliveries: list[Delivery] = []
        publisher = cloud.stream.invoke

        def recording(name: str, event: dict[str, Any]) -> Any:
            response = publisher(name, event)
            deliveries.append((event, response))
            return response

        cloud.stream.invoke = recording
        run_journey(TestClient(create_app(routers())), cloud)
        yield request.param, cloud, deliveries


def run_journey(api: TestClient, cloud: LocalCloud) -> None:
    def login(name: str) -> tuple[dict[str, str], str]:
        body = api.post("/v1/auth/login", json={"code": f"dev:{name}"}).json()
        return {"Authorization": f"Bearer {body['token']}"}, body["user"]["id"]

    def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response

    admin, _ = login("admin")
    alice, alice_id = login("alice")
    bob, bob_id = login("bob")
    batch = ok(
        api.post(
            "/v1/admin/code-batches",
            headers=admin,
            json={
                "sku": "ALL-1",
                "product_name": "Every yogurt",
                "points": 50,
                "count": 3,
                "tags": ["every"],
            },
        ),
        201,
    ).json()
    export = ok(api.get(f"/v1/admin/code-batches/{batch['batch_id']}/codes", headers=admin)).text
    codes = [row["code"] for row in csv.DictReader(io.StringIO(export))]
    cloud.pump_until_idle()

    # An account created by its first earn (with a bucket), then frozen and unfrozen.
    ok(api.post("/v1/scans", headers=alice, json={"code": codes[0]}), 202)
    cloud.pump_until_idle()
    ok(api.post(f"/v1/admin/users/{alice_id}/freeze", headers=admin, json={"reason": "check"}))
    ok(api.post(f"/v1/admin/users/{alice_id}/unfreeze", headers=admin, json={"reason": "fine"}))
    cloud.pump_until_idle()
    # A scan accepted, then its buyer frozen before the credit: the account is created by the freeze
    # (no points: its bucket map is empty), the earn is held, and the unfreeze releases it.
    ok(api.post("/v1/scans", headers=bob, json={"code": codes[1]}), 202)
    ok(api.post(f"/v1/admin/users/{bob_id}/freeze", headers=admin, json={"reason": "check"}))
    cloud.pump_until_idle()
    assert ok(api.get("/v1/points", headers=bob)).json()["balance"] == 0
    ok(api.post(f"/v1/admin/users/{bob_id}/unfreeze", headers=admin, json={"reason": "fine"}))
    cloud.pump_until_idle()
    # A profile edit and a revoked batch.
    ok(api.patch("/v1/me", headers=alice, json={"nickname": "Xiao Li"}))
    ok(api.post(f"/v1/admin/code-batches/{batch['batch_id']}/revoke", headers=admin))
    cloud.pump_until_idle()
    assert ok(api.get("/v1/points", headers=alice)).json()["balance"] == 50
    assert ok(api.get("/v1/points", headers=bob)).json()["balance"] == 50


def records(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    return [r for event, _ in deliveries for r in event["Records"]]


def test_no_record_of_any_change_fails(journey: tuple[str, LocalCloud, list[Delivery]]) -> None:
    _, cloud, deliveries = journey

    assert deliveries
    assert [response for _, response in deliveries if response != {"batchItemFailures": []}] == []
    assert cloud.stream.failures == []


def test_every_item_type_was_seen_inserted_and_changed(
    journey: tuple[str, LocalCloud, list[Delivery]],
) -> None:
    _, cloud, deliveries = journey
    assert cloud.settings is not None
    seen = set()
    for record in records(deliveries):
        parsed = parse(record, derivers(), cloud.settings)
        assert parsed is not None
        seen.add((parsed.change.table, parsed.change.entity, parsed.change.kind))

    expected = {
        ("identity", "User", "INSERT"),
        ("identity", "User", "MODIFY"),
        ("points", "Account", "INSERT"),
        ("points", "Account", "MODIFY"),
        ("points", "LedgerEntry", "INSERT"),
        ("codes", "Batch", "INSERT"),
        ("codes", "Batch", "MODIFY"),
        ("codes", "Claim", "INSERT"),
        ("codes", "Claim", "MODIFY"),
        ("points", "Hold", "INSERT"),
        ("points", "Hold", "REMOVE"),
    }
    assert expected <= seen
    # Items of every table beyond these (identity links, rate counters, tag guards) were read too:
    # every record parsed above, whatever its entity.
    assert len(seen) > len(expected)


def test_the_empty_bucket_map_came_in_the_emulators_own_shape(
    journey: tuple[str, LocalCloud, list[Delivery]],
) -> None:
    backend, _, deliveries = journey
    shapes = {
        json.dumps(image["buckets"])
        for record in records(deliveries)
        for image in (record["dynamodb"].get("NewImage"), record["dynamodb"].get("OldImage"))
        if image and "buckets" in image and not image["buckets"].get("M")
    }

    assert shapes == ({"{}"} if backend == "dynamodb-local" else {'{"M": {}}'})


def test_the_events_are_what_the_changes_mean(journey: tuple[str, LocalCloud, list[Delivery]]) -> None:
    _, cloud, deliveries = journey
    assert cloud.settings is not None
    events = Counter()
    entry_types = Counter()
    for record in records(deliveries):
        parsed = parse(record, derivers(), cloud.settings)
        assert parsed is not None
        for event in derivers()[parsed.change.table](parsed.change):
            events[event.detail_type] += 1
            if event.detail_type == "PointsChanged":
                entry_types[event.entry_type] += 1  # type: ignore[attr-defined]

    # ProfileChanged: the three dev users' nicknames at registration, and Alice's edit.
    # SegmentChanged: three users enter `new`, and the two who scanned move on.
    # AdminActionRecorded: the audit records of the two freezes and two unfreezes, and of the
    # batch's creation and revocation.
    # No RiskRankChanged: each user's first risk rank, asked at registration, is normal (0 for these
    # names), which the points context need not hear.
    assert events == Counter(
        {
            "UserRegistered": 3,
            "ProfileChanged": 4,
            "ScanClaimed": 2,
            "PointsChanged": 6,
            "SegmentChanged": 5,
            "AdminActionRecorded": 6,
        }
    )
    # Alice: earn, freeze, unfreeze; Bob: freeze, unfreeze, then his earn.
    assert entry_types == Counter({"earn": 2, "freeze": 2, "unfreeze": 2})
