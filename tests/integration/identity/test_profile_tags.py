"""The `profile_tags` worker on its SQS sample under moto: tags counted once per scan."""

from __future__ import annotations

import copy
import json
from typing import Any

from earnloop.local.samples import load

from tests.integration.identity.checks import all_items, stored
from tests.support.lambdas import call_http, invoke, sample_body, sqs_event

SAMPLE_USER = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
SAMPLE_CODE = "AK7Q2M3X.7.MFRGGZDFMZTWQ2LKNNWG23TPOA"


def scan_event(
    message_id: str = "m1", sample: str = "sqs/profile_tags.json", **detail: Any
) -> dict[str, Any]:
    """The sample SQS event, its ScanClaimed detail changed by `detail`."""
    event = copy.deepcopy(load(sample))
    record = event["Records"][0]
    body = json.loads(record["body"])
    body["detail"].update(detail)
    record["body"] = json.dumps(body)
    record["messageId"] = message_id
    return event


def tag_counts(user_id: str = SAMPLE_USER) -> dict[str, int]:
    return {
        item["tag"]: item["count"]
        for item in all_items()
        if item["entity"] == "Tag" and item["pk"] == f"USER#{user_id}"
    }


def test_a_claimed_scan_counts_its_product_tags_on_the_scanner(moto_cloud):
    assert invoke("profile_tags", load("sqs/profile_tags.json")) == {"batchItemFailures": []}

    assert tag_counts() == {"oat-peach flavour fan": 1, "yogurt": 1}
    tag = stored(f"USER#{SAMPLE_USER}", "TAG#yogurt")
    assert tag is not None
    assert tag["user_id"] == SAMPLE_USER and tag["last_seen"] == "2026-11-23T09:00:00.000Z"
    guard = stored(f"USER#{SAMPLE_USER}", f"SEEN#scan#{SAMPLE_CODE}")
    assert guard is not None and guard["entity"] == "ScanSeen" and guard["expires_at"] > 1795424400


def test_a_redelivered_scan_is_not_counted_twice(moto_cloud):
    for message_id in ("m1", "m1", "m2"):
        assert invoke("profile_tags", scan_event(message_id)) == {"batchItemFailures": []}
    assert tag_counts() == {"oat-peach flavour fan": 1, "yogurt": 1}


def test_each_new_scan_adds_to_the_counts(moto_cloud):
    invoke("profile_tags", load("sqs/profile_tags.json"))
    invoke(
        "profile_tags",
        scan_event(code="AK7Q2M3X.8.OTHER", tags=["yogurt"], claimed_at="2026-11-24T09:00:00.000Z"),
    )
    assert tag_counts() == {"oat-peach flavour fan": 1, "yogurt": 2}
    tag = stored(f"USER#{SAMPLE_USER}", "TAG#yogurt")
    assert tag is not None and tag["last_seen"] == "2026-11-24T09:00:00.000Z"


def test_duplicate_and_blank_tags_on_a_batch_are_counted_once(moto_cloud):
    assert invoke("profile_tags", scan_event(tags=["yogurt", "yogurt", " "])) == {"batchItemFailures": []}
    assert tag_counts() == {"yogurt": 1}


def test_a_scan_without_tags_writes_nothing(moto_cloud):
    assert invoke("profile_tags", scan_event(tags=[])) == {"batchItemFailures": []}
    assert all_items() == []


def test_only_the_malformed_message_of_a_batch_is_reported(moto_cloud):
    good = scan_event("good")
    bad = scan_event("bad", user_id=None)
    batch = {"Records": [*bad["Records"], *good["Records"]]}
    assert invoke("profile_tags", batch) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert tag_counts() == {"oat-peach flavour fan": 1, "yogurt": 1}


def test_me_shows_the_tags_and_points_a_users_scans_earned(moto_cloud):
    scans = 3
    body = call_http("auth_login", body={"code": "dev:xiaoli"}).json
    user_id, token = body["user"]["id"], body["token"]
    for serial in range(scans):
        detail = {
            "user_id": user_id,
            "code": f"AK7Q2M3X.{serial}.MAC",
            "scan_id": f"AK7Q2M3X-{serial}",
            "serial": serial,
            "tags": ["yogurt"] if serial else ["yogurt", "oat-peach flavour fan"],
        }
        assert invoke("profile_tags", scan_event(f"t{serial}", **detail)) == {"batchItemFailures": []}
        points = scan_event(f"p{serial}", sample="sqs/points_earn.json", **detail)
        assert invoke("points_earn", points) == {"batchItemFailures": []}

    me = call_http("me_get", token=token).json
    assert me["tags"] == ["yogurt", "oat-peach flavour fan"]
    assert me["points"]["balance"] == 50 * scans


def redemption(order_id: str, tags: list[str]) -> dict[str, Any]:
    """A RedemptionPlaced event of the mall on the tags queue."""
    body = sample_body("sqs/profile_tags.json")
    body["detail-type"], body["source"] = "RedemptionPlaced", "earnloop.mall"
    body["detail"] = {
        "order_id": order_id,
        "user_id": SAMPLE_USER,
        "reward_id": "R1",
        "reward_name": "Trial pack",
        "quantity": 1,
        "points": 300,
        "status": "confirmed",
        "tags": tags,
        "event_id": f"{order_id}:0",
        "occurred_at": "2026-11-25T10:00:00Z",
    }
    return body


def test_a_redemption_counts_its_rewards_tags_once_per_order(moto_cloud):
    first = redemption("O1", ["yogurt", "trial-pack"])
    for _ in range(2):
        event = sqs_event("sqs/profile_tags.json", first, first)
        assert invoke("profile_tags", event) == {"batchItemFailures": []}
    assert tag_counts() == {"yogurt": 1, "trial-pack": 1}
    guard = stored(f"USER#{SAMPLE_USER}", "SEEN#order#O1")
    assert guard is not None and guard["entity"] == "OrderSeen" and guard["expires_at"] > 1795424400

    invoke("profile_tags", sqs_event("sqs/profile_tags.json", redemption("O2", ["yogurt"])))
    invoke("profile_tags", load("sqs/profile_tags.json"))  # a scan adds to the same counts
    assert tag_counts() == {"yogurt": 3, "trial-pack": 1, "oat-peach flavour fan": 1}
    tag = stored(f"USER#{SAMPLE_USER}", "TAG#trial-pack")
    assert tag is not None and tag["last_seen"] == "2026-11-25T10:00:00Z"


def test_a_redemption_without_tags_writes_nothing(moto_cloud):
    assert invoke("profile_tags", sqs_event("sqs/profile_tags.json", redemption("O1", []))) == {
        "batchItemFailures": []
    }
    assert all_items() == []
