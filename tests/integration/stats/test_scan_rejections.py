"""Rejected scans reach the statistics under moto: `POST /v1/scans` counts a rejection decided at
the table on a sharded day counter, its stream derives `ScanRejectionsCounted`, the bus routes it to
the stats queue, and `GET /v1/admin/stats` shows it by reason. A forged code stays write-free."""

from __future__ import annotations

import json

from earnloop.codes.codec import QrKeys, sign
from earnloop.local.samples import load
from earnloop.platform.clock import business_day, utcnow

from tests.support.lambdas import all_items, call_http, drain, invoke, pump_stream, sqs_event

SAMPLE = "sqs/stats_count.json"


def test_a_second_scan_of_a_code_is_counted_as_rejected_already_claimed_and_a_forgery_is_not(moto_cloud):
    body = {
        **json.loads(load("apigw/code_batches_create.json")["body"]),
        "valid_from": None,
        "valid_until": None,
    }
    created = call_http(
        "code_batches_create",
        token=moto_cloud.token("admin-1", "admin"),
        body={k: v for k, v in body.items() if v is not None},
    )
    assert created.status == 201, created.body
    code = sign(QrKeys.from_secret(moto_cloud.secret_values["qr_keys"]), created.json["batch_id"], 1)
    scan = {"code": code}
    assert call_http("scans_create", token=moto_cloud.token("li"), body=scan).status == 202
    for user in ("wang", "wang", "zhao"):
        assert call_http("scans_create", token=moto_cloud.token(user), body=scan).status == 409
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert call_http("scans_create", token=moto_cloud.token("li"), body={"code": forged}).status == 400

    counters = [
        i for i in all_items(moto_cloud.settings.table_name("codes")) if i.get("entity") == "RejectionCounter"
    ]
    assert sum(i.get("r#code_already_claimed", 0) for i in counters) == 3
    assert all(set(i) & {"r#forged"} == set() for i in counters) and all(
        i["expires_at"] > 0 for i in counters
    )

    pump_stream(moto_cloud.streams["codes"])
    bodies = drain(moto_cloud.queues["stats"].main)
    assert {b["detail-type"] for b in bodies} == {"ScanClaimed", "ScanRejectionsCounted"}
    # Delivered twice and in reverse: each (day, reason, shard) keeps its highest count.
    assert invoke("stats_count", sqs_event(SAMPLE, *bodies[::-1], *bodies)) == {"batchItemFailures": []}

    today = business_day(utcnow()).isoformat()
    answer = call_http(
        "admin_stats_get", token=moto_cloud.token("admin-1", "admin"), query={"from": today, "to": today}
    )
    [row] = answer.json["days"]
    assert (row["scans_accepted"], row["scans_rejected"]) == (1, {"code_already_claimed": 3})
