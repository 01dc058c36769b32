"""Risk limits of `POST /v1/scans` on moto: a sliding hour per user, device and client IP, rejected
attempts counted, counters with a TTL, and no scan or query to evaluate them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from earnloop.codes import service
from earnloop.codes.events import derive
from earnloop.codes.models import ScanCreate
from earnloop.codes.store import BatchCache, codes_store
from earnloop.local.samples import http_event
from earnloop.platform.errors import InvalidCodeError, RateLimitedError
from earnloop.platform.events import Change
from earnloop.platform.settings import get_settings
from earnloop.risk.counters import RiskCounters
from earnloop.risk.events import RiskFlagged
from earnloop.risk.windows import SlidingWindow, Subject

from tests.support.lambdas import HttpAnswer, assert_problem, http_answer, invoke

BOUNDARY = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


def attempt(codes: Any, user: str, code: str, now: datetime, limit: int = 20) -> str:
    """One scan through the use case at a chosen instant; what the caller was answered."""
    settings = codes.cloud.settings
    risk = RiskCounters(codes_store()._ddb, settings.table_name("codes"))
    try:
        service.create_scan(
            codes_store(),
            codes.keys,
            BatchCache(),
            ScanCreate(code=code),
            user,
            now,
            risk,
            [Subject("user", user, limit)],
            settings.qr_url_bases,
        )
    except RateLimitedError:
        return "429"
    except InvalidCodeError:
        return "400"
    return "202"


def buckets(codes: Any, subject: str) -> dict[str, int]:
    item = codes.item(f"RISK#scan#{subject}", "RISK") or {}
    return {name: int(value) for name, value in item.items() if name.startswith("b")}


def test_forty_codes_across_an_hour_boundary_are_limited_like_forty_within_it(codes):
    codes.cloud.register("u1")
    batch = codes.create_batch(count=50)
    start = BOUNDARY - timedelta(seconds=15)  # 10:59:45 to 11:00:01, 0.4 s apart

    answers = [
        attempt(codes, "u1", codes.code(batch["batch_id"], n + 1), start + timedelta(seconds=0.4 * n))
        for n in range(40)
    ]

    assert answers == ["202"] * 20 + ["429"] * 20
    # 20 accepted claims; the refused attempts wrote nothing (refused from the counters' read).
    claims = [i for i in codes.items() if i["pk"].startswith(f"CODE#{batch['batch_id']}#")]
    assert len(claims) == 20
    assert sum(buckets(codes, "user#u1").values()) == 20
    # An hour and a bucket later the user scans again.
    later = attempt(codes, "u1", codes.code(batch["batch_id"], 41), BOUNDARY + timedelta(minutes=65))
    assert later == "202"


def test_a_burst_of_forged_codes_costs_a_unit_each_until_the_limit_then_is_refused(codes, dynamo_calls):
    codes.cloud.register("u1")
    batch = codes.create_batch()
    genuine = codes.code(batch["batch_id"], 1)
    forged = [f"{genuine[:-4]}{n:04d}" for n in range(200)]
    dynamo_calls.operations.clear()

    answers = [
        attempt(codes, "u1", code, BOUNDARY + timedelta(milliseconds=8 * n)) for n, code in enumerate(forged)
    ]

    assert answers == ["400"] * 20 + ["429"] * 180
    assert buckets(codes, "user#u1") == {f"b{SlidingWindow().bucket(BOUNDARY)}": 20}
    # Every attempt read its counter; only the 20 within the limit wrote (one UpdateItem each).
    assert dynamo_calls.operations.count("BatchGetItem") == 200
    assert dynamo_calls.writes == ["UpdateItem"] * 20
    # The genuine code is refused too: the limit is on the caller, not on the code.
    assert attempt(codes, "u1", genuine, BOUNDARY + timedelta(seconds=2)) == "429"


def scan_from(codes: Any, user: str, code: str, ip: str, device: str | None = None) -> HttpAnswer:
    headers = {"X-Device-Id": device} if device else {}
    event = http_event(
        "apigw/scans_create.json", token=codes.cloud.token(user), body={"code": code}, headers=headers
    )
    event["requestContext"]["http"]["sourceIp"] = ip
    return http_answer(invoke("scans_create", event))


@pytest.fixture
def tight_limits(monkeypatch):
    monkeypatch.setenv("EARNLOOP_SCANS_PER_HOUR_PER_IP", "3")
    monkeypatch.setenv("EARNLOOP_SCANS_PER_HOUR_PER_DEVICE", "2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_many_users_behind_one_ip_share_its_limit_and_rejections_count(codes, tight_limits, dynamo_calls):
    batch = codes.create_batch()
    code = codes.code(batch["batch_id"], 1)
    assert scan_from(codes, "a", code, "198.51.100.7").status == 202
    assert_problem(scan_from(codes, "b", code, "198.51.100.7"), 409, "code_already_claimed")
    assert_problem(scan_from(codes, "c", "forged", "198.51.100.7"), 400, "invalid_code")
    dynamo_calls.operations.clear()

    limited = scan_from(codes, "d", codes.code(batch["batch_id"], 2), "198.51.100.7")

    problem = assert_problem(limited, 429, "rate_limited")
    assert "ip" in problem["detail"] and 1 <= int(limited.headers["retry-after"]) <= 3900
    assert buckets(codes, "ip#198.51.100.7") and sum(buckets(codes, "ip#198.51.100.7").values()) == 3
    # Evaluating the limits read the counters by key: no Scan, no Query.
    assert "Scan" not in dynamo_calls.operations and "Query" not in dynamo_calls.operations
    # Another address is not limited by that one.
    assert scan_from(codes, "d", codes.code(batch["batch_id"], 2), "198.51.100.8").status == 202


def test_one_device_is_limited_across_the_accounts_behind_it(codes, tight_limits):
    batch = codes.create_batch()
    device = "dev-farm-0001"
    for n, user in enumerate(("f1", "f2")):
        assert (
            scan_from(codes, user, codes.code(batch["batch_id"], n + 1), f"192.0.2.{n}", device).status == 202
        )

    third = scan_from(codes, "f3", codes.code(batch["batch_id"], 3), "192.0.2.9", device)

    assert_problem(third, 429, "rate_limited")
    counter = codes.item(f"RISK#scan#device#{device}", "RISK")
    assert counter["kind"] == "device" and sum(buckets(codes, f"device#{device}").values()) == 2
    # The TTL attribute: the counter goes once no sliding hour can count it (at most 70 minutes on).
    now = datetime.now(UTC).timestamp()
    assert now + 3600 < counter["expires_at"] <= now + 3600 + 600


def test_a_malformed_device_id_is_422(codes):
    batch = codes.create_batch()
    answer = scan_from(codes, "u1", codes.code(batch["batch_id"], 1), "192.0.2.1", "bad id!")
    assert_problem(answer, 422, "validation_error")


def test_a_device_behind_many_accounts_flags_each_of_them_once_with_the_evidence(codes):
    batch = codes.create_batch()
    device = "dev-farm-0002"
    images = []
    for n, user in enumerate(("m1", "m2", "m3", "m4")):
        code = codes.code(batch["batch_id"], n + 1)
        assert scan_from(codes, user, code, f"192.0.2.{n}", device).status == 202
        [item] = [i for i in codes.items() if i["pk"].startswith(f"RISK#device-accounts#{device}#")]
        images.append(item)

    flags = [
        derive(Change("codes", "MODIFY" if before else "INSERT", before, after))
        for before, after in zip([None, *images[:-1]], images, strict=True)
    ]

    # Below three accounts nothing; at three all three are flagged; the fourth is flagged on arrival.
    assert [[(f.user_id, f.rule) for f in found] for found in flags] == [
        [],
        [],
        [("m1", "device_accounts"), ("m2", "device_accounts"), ("m3", "device_accounts")],
        [("m4", "device_accounts")],
    ]
    flag = flags[2][0]
    assert isinstance(flag, RiskFlagged)
    day = images[2]["day"]
    assert flag.flag_id == f"device_accounts#{device}#{day}#m1"
    assert flag.evidence == {"device_id": device, "day": day, "accounts": 3}
    assert images[3]["expires_at"] > datetime.now(UTC).timestamp() + 86400
    # A redelivered stream record derives the same flags (the freeze is keyed on the flag id).
    assert derive(Change("codes", "MODIFY", images[1], images[2])) == flags[2]
