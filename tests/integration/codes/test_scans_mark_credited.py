"""The claims worker on its SQS sample: a `scan#<code>` ledger entry marks the claim credited, once."""

from __future__ import annotations

import copy
import json
from typing import Any

from earnloop.local.samples import load


def credit_message(code: str, user: str, scan_id: str, message_id: str = "m-1") -> dict[str, Any]:
    """The sample SQS event, its EventBridge body naming this claim's ledger entry."""
    event = copy.deepcopy(load("sqs/scans_mark_credited.json"))
    record = event["Records"][0]
    body = json.loads(record["body"])
    body["detail"].update(txn_id=f"scan#{code}", user_id=user, reference=scan_id)
    record["body"] = json.dumps(body)
    record["messageId"] = message_id
    return event


def test_a_credited_scan_is_marked_once_and_a_redelivery_changes_nothing(codes):
    batch = codes.create_batch(points=50)
    code = codes.code(batch["batch_id"], 11)
    scan_id = codes.scan("u1", code).json["scan_id"]
    message = credit_message(code, "u1", scan_id)

    assert codes.sqs("scans_mark_credited", message) == {"batchItemFailures": []}
    claim = codes.item(f"CODE#{batch['batch_id']}#11", "CLAIM")
    assert claim["status"] == "credited" and claim["credited_at"] == "2026-11-23T09:00:01.250Z"
    assert "pending_pk" not in claim and "pending_sk" not in claim

    assert codes.sqs("scans_mark_credited", message) == {"batchItemFailures": []}
    assert codes.item(f"CODE#{batch['batch_id']}#11", "CLAIM") == claim
    shown = codes.as_user("u1", "scans_get", path_parameters={"scan_id": scan_id}).json
    assert shown == {
        "scan_id": scan_id,
        "status": "credited",
        "points": 50,
        "credited_at": "2026-11-23T09:00:01.250Z",
    }


def test_a_credit_without_a_matching_claim_is_reported_failed_and_others_in_the_batch_succeed(codes):
    batch = codes.create_batch()
    claimed = codes.code(batch["batch_id"], 1)
    codes.scan("u1", claimed)
    unclaimed = codes.code(batch["batch_id"], 2)
    good = credit_message(claimed, "u1", f"{batch['batch_id']}-1", "good")
    orphan = credit_message(unclaimed, "u1", f"{batch['batch_id']}-2", "orphan")
    wrong_user = credit_message(claimed, "u2", f"{batch['batch_id']}-1", "wrong-user")
    event = {"Records": good["Records"] + orphan["Records"] + wrong_user["Records"]}

    response = codes.sqs("scans_mark_credited", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": "orphan"}, {"itemIdentifier": "wrong-user"}]}
    assert codes.item(f"CODE#{batch['batch_id']}#1", "CLAIM")["status"] == "credited"


def test_points_changes_that_are_not_scan_credits_are_consumed_without_a_write(codes, dynamo_calls):
    message = credit_message("not-a-code", "u1", "x")
    assert codes.sqs("scans_mark_credited", message) == {"batchItemFailures": []}
    assert dynamo_calls.operations == []
