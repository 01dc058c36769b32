"""The points worker on its sample SQS event under moto: credits, redelivery, holds and release."""

from __future__ import annotations

from earnloop.local.samples import load
from earnloop.points.store import PointsStore, account_key, hold_key

from tests.integration.points.points_harness import EARN_SAMPLE, admin_call
from tests.support.lambdas import drain, invoke, pump_stream, sample_body, sqs_event, stored

USER = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
CODE = "AK7Q2M3X.7.MFRGGZDFMZTWQ2LKNNWG23TPOA"


def earn(event):
    return invoke("points_earn", event)


def admin(moto_cloud, action: str) -> None:
    moto_cloud.register(USER)
    assert admin_call(f"admin_users_{action}", moto_cloud.token("boss", "admin"), USER).status == 200


def item(moto_cloud, key: dict[str, str]) -> dict | None:
    return stored(moto_cloud.settings.table_name("points"), key)


def test_a_claimed_scan_is_credited_once_with_its_code_as_txn_id(moto_cloud):
    assert earn(load(EARN_SAMPLE)) == {"batchItemFailures": []}

    account = item(moto_cloud, account_key(USER))
    assert account is not None
    assert (account["entity"], account["balance"], account["lifetime_earned"], account["status"]) == (
        "Account",
        50,
        50,
        "active",
    )
    bucket = next(k for k in account if k.startswith("bkt#"))
    assert account[bucket] == 50 and account["next_expiry"] == bucket.removeprefix("bkt#")
    assert account["exp_pk"].startswith(f"EXP#{account['next_expiry']}#") and account["exp_sk"] == USER
    [entry] = PointsStore.default().entries(USER)
    assert (entry.txn_id, entry.entry_type, entry.delta, entry.balance_after) == (
        f"scan#{CODE}",
        "earn",
        50,
        50,
    )
    assert (entry.reason, entry.reference, entry.actor) == ("scan", "AK7Q2M3X-31", "system")


def test_a_redelivered_message_succeeds_without_crediting_twice(moto_cloud):
    body = sample_body(EARN_SAMPLE)
    assert earn(sqs_event(EARN_SAMPLE, body)) == {"batchItemFailures": []}
    assert earn(sqs_event(EARN_SAMPLE, body, body)) == {"batchItemFailures": []}
    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert len(PointsStore.default().entries(USER)) == 1


def test_one_bad_message_fails_alone(moto_cloud):
    good = sample_body(EARN_SAMPLE)
    bad = {**sample_body(EARN_SAMPLE), "detail": {**good["detail"], "points": "many"}}
    event = sqs_event(EARN_SAMPLE, bad, good)
    response = earn(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert item(moto_cloud, account_key(USER))["balance"] == 50


def test_a_scan_while_frozen_is_held_then_released_by_the_unfreeze_event(moto_cloud):
    admin(moto_cloud, "freeze")
    assert earn(sqs_event(EARN_SAMPLE, sample_body(EARN_SAMPLE))) == {"batchItemFailures": []}
    hold = item(moto_cloud, hold_key(USER, f"scan#{CODE}"))
    assert hold is not None and hold["entity"] == "Hold" and hold["command"]["points"] == 50
    assert item(moto_cloud, account_key(USER))["balance"] == 0

    admin(moto_cloud, "unfreeze")
    # What Lambda does in AWS: the stream publisher puts the unfreeze entry's PointsChanged on the
    # bus, and the rule routes it (and only it) to the points queue.
    pump_stream(moto_cloud.streams["points"])
    [unfrozen] = drain(moto_cloud.queues["points"].main)
    assert (unfrozen["detail-type"], unfrozen["detail"]["entry_type"]) == ("PointsChanged", "unfreeze")

    assert earn(sqs_event(EARN_SAMPLE, unfrozen)) == {"batchItemFailures": []}
    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert item(moto_cloud, hold_key(USER, f"scan#{CODE}")) is None
    # The release is the scan's own credit, so the codes context learns the claim is credited.
    pump_stream(moto_cloud.streams["points"])
    credited = [e["detail"]["txn_id"] for e in drain(moto_cloud.queues["claims"].main)]
    assert f"scan#{CODE}" in credited

    # A redelivered unfreeze event, or a late redelivery of the scan, credits nothing more.
    assert earn(sqs_event(EARN_SAMPLE, unfrozen, sample_body(EARN_SAMPLE))) == {"batchItemFailures": []}
    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert [e.entry_type for e in PointsStore.default().entries(USER)].count("earn") == 1
