"""The points worker on its sample SQS event under moto: credits, redelivery, holds and release."""

from __future__ import annotations

from earnloop.local.samples import load
from earnloop.points.store import PointsStore, account_key, hold_key

from tests.integration.points.points_harness import (
    admin_call,
    drain,
    handler,
    pump_points_stream,
    sample_body,
    sqs_event,
    stored,
)

USER = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
CODE = "AK7Q2M3X.7.MFRGGZDFMZTWQ2LKNNWG23TPOA"


def earn(event, lambda_context):
    return handler("points_earn")(event, lambda_context)


def admin(moto_cloud, lambda_context, action: str) -> None:
    status, _, _ = admin_call(f"admin_users_{action}", lambda_context, moto_cloud.auth("boss", "admin"), USER)
    assert status == 200


def item(moto_cloud, key: dict[str, str]) -> dict | None:
    return stored(moto_cloud.settings.points_table, key)


def test_a_claimed_scan_is_credited_once_with_its_code_as_txn_id(moto_cloud, lambda_context):
    assert earn(load("sqs/points_earn.json"), lambda_context) == {"batchItemFailures": []}

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


def test_a_redelivered_message_succeeds_without_crediting_twice(moto_cloud, lambda_context):
    body = sample_body()
    assert earn(sqs_event(body), lambda_context) == {"batchItemFailures": []}
    assert earn(sqs_event(body, body), lambda_context) == {"batchItemFailures": []}
    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert len(PointsStore.default().entries(USER)) == 1


def test_one_bad_message_fails_alone(moto_cloud, lambda_context):
    good = sample_body()
    bad = {**sample_body(), "detail": {**good["detail"], "points": "many"}}
    event = sqs_event(bad, good)
    response = earn(event, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert item(moto_cloud, account_key(USER))["balance"] == 50


def test_a_scan_while_frozen_is_held_then_released_by_the_unfreeze_event(moto_cloud, lambda_context):
    admin(moto_cloud, lambda_context, "freeze")
    assert earn(sqs_event(sample_body()), lambda_context) == {"batchItemFailures": []}
    hold = item(moto_cloud, hold_key(USER, f"scan#{CODE}"))
    assert hold is not None and hold["entity"] == "Hold" and hold["command"]["points"] == 50
    assert item(moto_cloud, account_key(USER))["balance"] == 0

    admin(moto_cloud, lambda_context, "unfreeze")
    # What Lambda does in AWS: the stream publisher puts the unfreeze entry's PointsChanged on the
    # bus, and the rule routes it (and only it) to the points queue.
    pump_points_stream(moto_cloud.streams["points"])
    [unfrozen] = drain(moto_cloud.queues["points"].main)
    assert (unfrozen["detail-type"], unfrozen["detail"]["entry_type"]) == ("PointsChanged", "unfreeze")

    assert earn(sqs_event(unfrozen), lambda_context) == {"batchItemFailures": []}
    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert item(moto_cloud, hold_key(USER, f"scan#{CODE}")) is None
    # The release is the scan's own credit, so the codes context learns the claim is credited.
    pump_points_stream(moto_cloud.streams["points"])
    credited = [e["detail"]["txn_id"] for e in drain(moto_cloud.queues["claims"].main)]
    assert f"scan#{CODE}" in credited

    # A redelivered unfreeze event, or a late redelivery of the scan, credits nothing more.
    assert earn(sqs_event(unfrozen, sample_body()), lambda_context) == {"batchItemFailures": []}
    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert [e.entry_type for e in PointsStore.default().entries(USER)].count("earn") == 1
