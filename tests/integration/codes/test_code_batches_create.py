"""POST /v1/admin/code-batches: one conditional PutItem, no per-code items."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from earnloop.local.samples import load
from earnloop.platform.clock import iso, utcnow

from tests.support.lambdas import assert_problem, call_http


def test_an_admin_creates_a_batch_as_one_item(codes, dynamo_calls):
    codes.cloud.register("admin-1", "admin")  # as a login would have
    dynamo_calls.operations.clear()
    valid_until = iso(utcnow() + timedelta(days=365))
    batch = codes.create_batch(count=1_000_000, valid_until=valid_until, tags=[" yogurt ", "fan", "yogurt"])

    assert re.fullmatch(r"[A-Z2-7]{8}", batch["batch_id"])
    assert batch == {
        "batch_id": batch["batch_id"],
        "sku": "YOG-OAT-PEACH-250",
        "product_name": "Oat & peach yogurt",
        "points": 50,
        "count": 1_000_000,
        "tags": ["yogurt", "fan"],
        "campaign": "autumn-2026",
        "valid_from": None,
        "valid_until": valid_until,
        "revoked": False,
        "created_at": batch["created_at"],
        "codes_url": f"/v1/admin/code-batches/{batch['batch_id']}/codes",
    }
    # One transaction: the batch, its audit record, and a check that its creator still is an admin.
    assert dynamo_calls.writes == ["TransactWriteItems"]
    [item] = [i for i in codes.items() if i["entity"] == "Batch"]
    [record] = [i for i in codes.items() if i["entity"] == "AdminAction"]
    assert (record["actor"], record["action"], record["target"], record["context"]) == (
        "admin:admin-1",
        "code_batch.create",
        batch["batch_id"],
        "codes",
    )
    assert record["before"] == {} and record["after"] == {
        "sku": "YOG-OAT-PEACH-250",
        "product_name": "Oat & peach yogurt",
        "points": 50,
        "count": 1_000_000,
        "tags": ["yogurt", "fan"],
        "campaign": "autumn-2026",
        "valid_until": valid_until,
        "key_version": "A",
    }
    assert item["pk"] == f"BATCH#{batch['batch_id']}" and item["sk"] == "BATCH"
    assert item["entity"] == "Batch" and item["key_version"] == "A" and item["created_by"] == "admin-1"
    assert item["revoked"] is False


def test_the_sample_event_creates_a_batch_with_its_window_normalised_to_utc(codes):
    body = {
        **json.loads(load("apigw/code_batches_create.json")["body"]),
        "valid_from": "2026-11-01T08:00:00+08:00",
    }
    body["valid_until"] = iso(utcnow() + timedelta(days=30))
    response = codes.admin("code_batches_create", body=body)
    assert response.status == 201, response.body
    assert response.json["valid_from"] == "2026-11-01T00:00:00.000Z"


def test_the_edges_of_the_calendar_that_fit_in_utc_are_stored_as_utc(codes):
    batch = codes.create_batch(valid_from="0001-01-01T00:00:00-01:00", valid_until="9999-12-31T23:00:00Z")
    assert (batch["valid_from"], batch["valid_until"]) == (
        "0001-01-01T01:00:00.000Z",
        "9999-12-31T23:00:00.000Z",
    )


def test_only_admins_create_batches(codes):
    body = {"sku": "S", "product_name": "P", "points": 1, "count": 1}
    assert_problem(codes.as_user("u1", "code_batches_create", body=body), 403, "forbidden")
    assert_problem(call_http("code_batches_create", body=body), 401, "unauthenticated")
    assert codes.items() == []


def test_an_admin_deleted_or_demoted_since_the_token_was_issued_creates_nothing(codes, moto_cloud):
    body = {"sku": "S", "product_name": "P", "points": 1, "count": 1}
    deleted = moto_cloud.token("admin-gone", "admin", registered=False)
    assert_problem(call_http("code_batches_create", token=deleted, body=body), 401, "unauthenticated")
    moto_cloud.register("admin-demoted")  # now without the role its old token still claims
    demoted = moto_cloud.token("admin-demoted", "admin", registered=False)
    assert_problem(call_http("code_batches_create", token=demoted, body=body), 403, "forbidden")
    assert codes.items() == []


def test_bad_batches_are_422_problem_json(codes):
    good = {"sku": "S", "product_name": "P", "points": 10, "count": 10}
    past = iso(utcnow() - timedelta(minutes=1))
    bad = [
        {**good, "points": "10"},
        {**good, "points": 10.0},
        {**good, "points": True},
        {**good, "points": 0},
        {**good, "points": 100_001},
        {**good, "count": 0},
        {**good, "count": 1_000_001},
        {**good, "tags": ["t"] * 21},
        {**good, "tags": ["x" * 33]},
        {**good, "tags": [""]},
        {**good, "tags": "yogurt"},
        {**good, "sku": ""},
        {**good, "valid_from": "2027-01-02T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"},
        {**good, "valid_from": "2027-01-01T00:00:00"},
        {**good, "valid_until": past},
        # Moments whose UTC day is outside years 1-9999 cannot be stored (they crashed with a 500).
        {**good, "valid_from": "0001-01-01T00:00:00+01:00"},
        {**good, "valid_until": "9999-12-31T23:59:59-01:00"},
        {**good, "valid_from": "0001-01-01T00:00:00+14:00", "valid_until": "9999-12-31T23:59:59-12:00"},
        {**good, "colour": "red"},
        {"sku": "S"},
        "nonsense",
    ]
    for body in bad:
        assert_problem(codes.admin("code_batches_create", body=body), 422, "validation_error")
    assert codes.items() == []
