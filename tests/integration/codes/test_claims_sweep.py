"""The claims sweep on its scheduled sample: a claim whose `ScanClaimed` was lost is republished
through the stream and credited once; credited and fresh claims are left alone."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from earnloop.local.samples import load
from earnloop.platform.clock import iso, utcnow

from tests.integration.codes.test_scans_mark_credited import credit_message
from tests.support.lambdas import drain, invoke, pump_stream, sqs_event

SAMPLE = "scheduled/claims_sweep.json"


def sweep(minutes_from_now: int) -> dict[str, Any]:
    """The scheduled sample, due `minutes_from_now` after the real clock the scans were made on."""
    event = copy.deepcopy(load(SAMPLE))
    event["time"] = iso(utcnow() + timedelta(minutes=minutes_from_now)).replace(".000Z", "Z")
    return invoke("claims_sweep", event)  # type: ignore[no-any-return]


def claim_of(codes, batch_id: str, serial: int) -> dict[str, Any]:
    return codes.item(f"CODE#{batch_id}#{serial}", "CLAIM")


def test_a_claim_whose_event_was_lost_is_republished_and_credited_once(codes, moto_cloud):
    batch = codes.create_batch(points=50)
    code = codes.code(batch["batch_id"], 7)
    scan_id = codes.scan("u1", code).json["scan_id"]
    # The stream is not pumped: the claim's ScanClaimed never reached the points worker.

    assert sweep(20) == {"touched": 1}

    claim = claim_of(codes, batch["batch_id"], 7)
    assert claim["status"] == "accepted" and claim["sweeps"] == 1 and "swept_at" in claim
    pump_stream(moto_cloud.streams["codes"])
    republished = drain(moto_cloud.queues["points"].main)
    # From the stream: the claim's INSERT (the record whose event was lost) and the sweep's MODIFY.
    assert [e["detail-type"] for e in republished] == ["ScanClaimed", "ScanClaimed"]
    assert {e["detail"]["scan_id"] for e in republished} == {scan_id}
    assert len({e["detail"]["event_id"] for e in republished}) == 2

    assert invoke("points_earn", sqs_event("sqs/points_earn.json", *republished)) == {"batchItemFailures": []}
    pump_stream(moto_cloud.streams["points"])
    credits = drain(moto_cloud.queues["claims"].main)
    assert [e["detail"]["txn_id"] for e in credits] == [f"scan#{code}"]
    assert codes.sqs("scans_mark_credited", sqs_event("sqs/scans_mark_credited.json", *credits)) == {
        "batchItemFailures": []
    }
    credited = claim_of(codes, batch["batch_id"], 7)
    assert credited["status"] == "credited" and "pending_pk" not in credited

    assert sweep(40) == {"touched": 0}
    assert claim_of(codes, batch["batch_id"], 7) == credited


def test_credited_and_fresh_claims_are_not_touched(codes):
    batch = codes.create_batch()
    credited_code = codes.code(batch["batch_id"], 1)
    credited_scan = codes.scan("u1", credited_code).json["scan_id"]
    codes.scan("u2", codes.code(batch["batch_id"], 2))
    message = credit_message(credited_code, "u1", credited_scan)
    assert codes.sqs("scans_mark_credited", message) == {"batchItemFailures": []}
    before = {serial: claim_of(codes, batch["batch_id"], serial) for serial in (1, 2)}

    # Ten minutes on, the uncredited claim is younger than the sweep's fifteen.
    assert sweep(10) == {"touched": 0}

    assert {serial: claim_of(codes, batch["batch_id"], serial) for serial in (1, 2)} == before
    assert sweep(20) == {"touched": 1}
    assert claim_of(codes, batch["batch_id"], 1) == before[1]
    assert claim_of(codes, batch["batch_id"], 2)["sweeps"] == 1


def test_the_sample_run_sweeps_as_of_its_own_time(codes):
    batch = codes.create_batch()
    codes.scan("u1", codes.code(batch["batch_id"], 3))

    # The sample is due before these claims were made: nothing is old enough as of then.
    assert invoke("claims_sweep", load(SAMPLE)) == {"touched": 0}
