"""POST /v1/scans through its Lambda handler, on moto: claim + rate counter in one transaction."""

from __future__ import annotations

from datetime import timedelta

from earnloop.codes.events import ScanClaimed, derive
from earnloop.codes.models import Batch
from earnloop.codes.store import codes_store
from earnloop.platform import aws
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.dynamo import marshal
from earnloop.platform.events import Change
from earnloop.platform.settings import get_settings
from earnloop.points.store import FROZEN, account_key

from tests.support.lambdas import assert_problem, call_http


def test_an_accepted_scan_stores_the_claim_and_counts_the_scan(codes):
    batch = codes.create_batch(points=50, tags=["oat-peach flavour fan", "yogurt"], campaign="autumn-2026")
    code = codes.code(batch["batch_id"], 47)

    response = codes.scan("u1", code)

    assert response.status == 202, response.body
    scan_id = f"{batch['batch_id']}-47"
    assert response.json == {
        "scan_id": scan_id,
        "status": "accepted",
        "points": 50,
        "product": {"sku": "YOG-OAT-PEACH-250", "name": "Oat & peach yogurt"},
    }
    assert response.headers["location"] == f"/v1/scans/{scan_id}"
    claim = codes.item(f"CODE#{batch['batch_id']}#47", "CLAIM")
    assert claim is not None
    assert claim["entity"] == "Claim" and claim["status"] == "accepted" and claim["user_id"] == "u1"
    assert claim["code"] == code and claim["serial"] == 47 and claim["campaign"] == "autumn-2026"
    assert claim["pending_pk"].startswith("PENDING#") and claim["pending_sk"] == claim["claimed_at"]
    # The attempt is counted against the user and the client IP (the sample's sourceIp) alike.
    for subject in ("user#u1", "ip#203.0.113.10"):
        counter = codes.item(f"RISK#scan#{subject}", "RISK")
        assert counter is not None and counter["entity"] == "RiskCounter"
        assert [v for k, v in counter.items() if k.startswith("b")] == [1]
        assert counter["expires_at"] > utcnow().timestamp()
    # What the stream publisher will derive from this insert carries everything the consumers need.
    [event] = derive(Change("codes", "INSERT", None, claim))
    assert isinstance(event, ScanClaimed)
    assert (
        event.scan_id == scan_id and event.points == 50 and event.tags == ["oat-peach flavour fan", "yogurt"]
    )


def test_the_printed_url_is_accepted_in_any_case(codes):
    batch = codes.create_batch()
    code = codes.code(batch["batch_id"], 2)
    printed = codes.cloud.settings.qr_url_base + code
    response = codes.scan("u1", f"  {printed}?from=qr  ".lower())
    assert response.status == 202, response.body
    upper = codes.scan("u2", codes.cloud.settings.qr_url_base.upper() + codes.code(batch["batch_id"], 3))
    assert upper.status == 202, upper.body


def test_a_printed_url_on_another_host_is_400_foreign_domain_and_claims_nothing(codes):
    batch = codes.create_batch()
    code = codes.code(batch["batch_id"], 4)
    for url in (f"https://evil.example/q/{code}", f"https://169.254.169.254/q/{code}"):
        body = assert_problem(codes.scan("u1", url), 400, "invalid_code")
        assert body["reason"] == "foreign_domain"
    assert codes.item(f"CODE#{batch['batch_id']}#4", "CLAIM") is None
    assert codes.scan("u1", code).status == 202


def test_a_second_scan_of_the_same_code_by_anyone_is_409(codes):
    batch = codes.create_batch()
    code = codes.code(batch["batch_id"], 5)
    assert codes.scan("u1", code).status == 202

    for user in ("u2", "u1"):
        body = assert_problem(codes.scan(user, code), 409, "code_already_claimed")
        assert body["scan_id"] == f"{batch['batch_id']}-5"
    # The loser's attempt cost it a unit of its limit all the same (rejected attempts count).
    loser = codes.item("RISK#scan#user#u2", "RISK")
    assert loser is not None and [v for k, v in loser.items() if k.startswith("b")] == [1]
    assert codes.item(f"CODE#{batch['batch_id']}#5", "CLAIM")["user_id"] == "u1"


def test_a_forged_code_is_400_and_only_counted_against_its_caller(codes, dynamo_calls):
    batch = codes.create_batch()
    genuine = codes.code(batch["batch_id"], 5)
    codes.cloud.register("u1")
    dynamo_calls.operations.clear()

    for forged in (
        genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
        "A" + batch["batch_id"] + ".F.AAAA",
        "hello",
    ):
        assert_problem(codes.scan("u1", forged), 400, "invalid_code")

    # Per forgery: one read of the caller's counters and one counting write per subject (user, IP);
    # no claim, batch or identity item is read or written.
    assert dynamo_calls.operations == ["BatchGetItem", "UpdateItem", "UpdateItem"] * 3
    assert [v for k, v in codes.item("RISK#scan#user#u1", "RISK").items() if k.startswith("b")] == [3]


def test_a_revoked_batch_is_400_even_when_this_container_cached_it_before(codes):
    batch = codes.create_batch()
    assert codes.scan("u1", codes.code(batch["batch_id"], 1)).status == 202  # now cached
    assert codes.admin("code_batches_revoke", path_parameters={"batch_id": batch["batch_id"]}).status == 200

    body = assert_problem(codes.scan("u2", codes.code(batch["batch_id"], 2)), 400, "invalid_code")

    assert body["reason"] == "revoked"
    assert codes.item(f"CODE#{batch['batch_id']}#2", "CLAIM") is None


def test_a_code_before_its_window_opens_is_400_and_says_when_the_promotion_starts(codes):
    starts_at = iso(utcnow() + timedelta(days=1))
    batch = codes.create_batch(valid_from=starts_at)
    body = assert_problem(codes.scan("u1", codes.code(batch["batch_id"], 1)), 400, "invalid_code")
    assert body["reason"] == "not_yet_valid"
    assert body["starts_at"] == starts_at
    assert body["detail"] == f"this promotion starts at {starts_at}"
    assert "no longer" not in body["detail"]


def test_a_code_after_its_window_closed_is_400(codes, moto_cloud):
    now = utcnow()
    expired = Batch(
        batch_id="EXPIRED2",
        sku="S",
        product_name="P",
        points=5,
        count=10,
        tags=[],
        valid_from=iso(now - timedelta(days=30)),
        valid_until=iso(now - timedelta(seconds=1)),
        key_version="A",
        created_at=iso(now - timedelta(days=31)),
        created_by="admin-1",
    )
    moto_cloud.register("admin-1", "admin")
    codes_store().put_batch(expired)
    body = assert_problem(codes.scan("u1", codes.code("EXPIRED2", 1)), 400, "invalid_code")
    assert body["reason"] == "expired"


def test_more_scans_than_the_hourly_limit_are_429_with_retry_after(codes, monkeypatch):
    monkeypatch.setenv("EARNLOOP_SCANS_PER_HOUR", "2")
    get_settings.cache_clear()
    batch = codes.create_batch()
    for serial in (1, 2):
        assert codes.scan("u1", codes.code(batch["batch_id"], serial)).status == 202

    response = codes.scan("u1", codes.code(batch["batch_id"], 3))

    assert_problem(response, 429, "rate_limited")
    # Until the two scans' 5-minute bucket leaves the sliding hour: at most an hour and a bucket.
    assert 3600 - 300 < int(response.headers["retry-after"]) <= 3600 + 300
    assert codes.item(f"CODE#{batch['batch_id']}#3", "CLAIM") is None
    # Another user has their own allowance.
    assert codes.scan("u2", codes.code(batch["batch_id"], 3)).status == 202


def test_a_frozen_account_is_423(codes, moto_cloud):
    # The points context's own key; the account as its freeze leaves it (only `status` matters here).
    frozen = {**account_key("u1"), "entity": "Account", "status": FROZEN, "balance": 0}
    aws.dynamodb().put_item(TableName=moto_cloud.settings.table_name("points"), Item=marshal(frozen))
    batch = codes.create_batch()

    assert_problem(codes.scan("u1", codes.code(batch["batch_id"], 1)), 423, "account_frozen")

    assert codes.item(f"CODE#{batch['batch_id']}#1", "CLAIM") is None


def test_scanning_needs_a_session(codes):
    batch = codes.create_batch()
    assert_problem(
        call_http("scans_create", body={"code": codes.code(batch["batch_id"], 1)}), 401, "unauthenticated"
    )


BAD_BODIES = [
    {},
    {"code": ""},
    {"code": 12345},
    {"code": ["a"]},
    {"code": None},
    {"code": "A" * 513},
    {"code": "AK7Q2M3XD.B.AAAA", "extra": 1},
    "not json",
    [],
]


def test_a_bad_body_is_422_problem_json(codes):
    # One cloud for every body: moto's setup, not the call, is what costs time here.
    for body in BAD_BODIES:
        result = assert_problem(codes.as_user("u1", "scans_create", body=body), 422, "validation_error")
        assert result["errors"], body


def test_a_valid_token_of_a_user_that_does_not_exist_scans_nothing(codes, moto_cloud):
    batch = codes.create_batch()
    code = codes.code(batch["batch_id"], 9)
    ghost = moto_cloud.token("u-deleted", registered=False)

    answer = call_http("scans_create", token=ghost, body={"code": code})

    problem = assert_problem(answer, 401, "unauthenticated")
    assert problem["detail"] == "the token's user no longer exists"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert codes.item(f"CODE#{batch['batch_id']}#9", "CLAIM") is None
    assert not [i for i in codes.items() if i["pk"].startswith("CODE#") and i.get("user_id") == "u-deleted"]
    # The code is still there for a real user.
    assert codes.scan("u1", code).status == 202
