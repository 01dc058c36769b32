"""Farming rules that freeze (issue 10, capability 1), on one moto cloud for the module: the codes
stream's `RiskFlagged` reaches the points queue through the points context's rule, and the points
worker freezes the account with reason `risk:<rule>`, once per flag, with an audit record the admins
list; a frozen user's scans answer 423 and their earns are held. Each test uses users of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.codes import service
from earnloop.codes.events import derive
from earnloop.codes.farming import batch_device_key
from earnloop.codes.models import ScanCreate
from earnloop.codes.store import BatchCache, codes_store
from earnloop.local.samples import http_event
from earnloop.platform.clock import iso
from earnloop.platform.events import Change
from earnloop.platform.settings import get_settings
from earnloop.risk.counters import RiskCounters
from earnloop.risk.far_apart import ScanLocation
from earnloop.risk.windows import SlidingWindow, Subject

from tests.conftest import MotoCloud
from tests.integration.codes.conftest import Codes
from tests.support.lambdas import (
    HttpAnswer,
    assert_problem,
    call_http,
    drain,
    http_answer,
    invoke,
    pump_stream,
    sqs_event,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def moto_cloud(module_moto_cloud: MotoCloud) -> MotoCloud:
    return module_moto_cloud


def scan(codes: Codes, user: str, code: str, device: str | None = None, **body: Any) -> HttpAnswer:
    headers = {"X-Device-Id": device} if device else {}
    event = http_event(
        "apigw/scans_create.json", token=codes.cloud.token(user), body={"code": code, **body}, headers=headers
    )
    return http_answer(invoke("scans_create", event))


def to_points(codes: Codes) -> list[dict[str, Any]]:
    """What the codes table's changes put on the points queue (every record again: at least once)."""
    pump_stream(codes.cloud.streams["codes"])
    return drain(codes.cloud.queues["points"].main)


def run_points_worker(*bodies: dict[str, Any]) -> None:
    assert invoke("points_earn", sqs_event("sqs/points_earn.json", *bodies)) == {"batchItemFailures": []}


def points(codes: Codes, user: str) -> dict[str, Any]:
    answer = call_http("points_get", token=codes.cloud.token(user))
    assert answer.status == 200, answer.body
    return answer.json  # type: ignore[no-any-return]


def history(codes: Codes, user: str) -> list[dict[str, Any]]:
    return call_http("points_history", token=codes.cloud.token(user)).json["items"]  # type: ignore[no-any-return]


def test_a_device_behind_many_accounts_freezes_them_all_once_and_the_admins_see_it(codes: Codes) -> None:
    batch = codes.create_batch(points=10)
    device, users = "dev-r1-farm-01", ["r1-d1", "r1-d2", "r1-d3"]
    for n, user in enumerate(users):
        assert scan(codes, user, codes.code(batch["batch_id"], n + 1), device).status == 202

    delivered = [b for b in to_points(codes) if b["detail"].get("user_id") in users]
    flags = [b for b in delivered if b["detail-type"] == "RiskFlagged"]
    claims = [b for b in delivered if b["detail-type"] == "ScanClaimed"]
    assert sorted(f["detail"]["user_id"] for f in flags) == users
    run_points_worker(*flags)
    run_points_worker(*flags)  # redelivered: nothing more

    for user in users:
        [freeze] = [e for e in history(codes, user) if e["type"] == "freeze"]
        assert freeze["reason"] == "risk:device_accounts"
        assert (
            freeze["txn_id"]
            == f"freeze#risk#device_accounts#{device}#{flags[0]['detail']['evidence']['day']}#{user}"
        )
    audit = codes.admin("admin_audit_list", query={"actor": "risk:device_accounts"}).json["items"]
    mine = [r for r in audit if r["target"] in users]
    assert len(mine) == 3  # one record per account, not per delivery
    assert {r["action"] for r in mine} == {"freeze"}
    assert {r["after"]["status"] for r in mine} == {"frozen"}
    assert all(device in r["reason"] and r["reason"].startswith("risk:device_accounts ") for r in mine)

    # Frozen: a new scan answers 423; the earns of the scans before the freeze are held, not paid.
    assert_problem(scan(codes, users[0], codes.code(batch["batch_id"], 9)), 423, "account_frozen")
    run_points_worker(*claims)
    answers = [points(codes, u) for u in users]
    assert [(a["status"], a["balance"], a["pending"]) for a in answers] == [("frozen", 0, 10)] * 3


def claim_at(
    codes: Codes, user: str, code: str, now: datetime, device: str | None = None, location: Any = None
) -> None:
    """One accepted scan through the use case at a chosen instant (limits far away)."""
    settings = codes.cloud.settings
    codes.cloud.register(user)
    body = ScanCreate(code=code, location=ScanLocation(**location) if location else None)
    subjects = [Subject("user", user, 1000), *([Subject("device", device, 1000)] if device else [])]
    service.create_scan(
        codes_store(),
        codes.keys,
        BatchCache(),
        body,
        user,
        now,
        RiskCounters(codes_store()._ddb, settings.table_name("codes")),
        subjects,
        settings.qr_url_bases,
    )


def flags_of_writes(codes: Codes, pk: str, write: Any) -> list[list[tuple[str, str]]]:
    """Runs `write(n)` for each n it is given and derives what each write of item `pk` flags, from
    the item as it was before and after (the stream's old and new images)."""
    found = []
    for step in write:
        before = codes.item(pk, "RISK")
        step()
        after = codes.item(pk, "RISK")
        change = Change("codes", "MODIFY" if before else "INSERT", before, after)
        found.append([(f.user_id, f.flag_id) for f in derive(change)])
    return found


@pytest.fixture
def burst_of_four(monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("EARNLOOP_BATCH_CODES_PER_DEVICE", "4")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_many_codes_of_one_batch_from_one_device_flag_on_the_nth_not_before(
    codes: Codes, burst_of_four
) -> None:
    batch, other = codes.create_batch(), codes.create_batch()
    device, start = "dev-r1-batch-01", datetime.now(UTC)
    # Another batch's code from the same device counts for that batch only.
    claim_at(codes, "r1-b1", codes.code(other["batch_id"], 1), start, device)
    pk = batch_device_key(batch["batch_id"], device)["pk"]

    flags = flags_of_writes(
        codes,
        pk,
        [
            (
                lambda n=n, user=user: claim_at(
                    codes, user, codes.code(batch["batch_id"], n), start + timedelta(seconds=n), device
                )
            )
            for n, user in enumerate(["r1-b1"] * 5 + ["r1-b2"], start=1)
        ],
    )

    # The Nth flags; the same user's next one does not (one flag a burst); another account does.
    assert [[u for u, _ in f] for f in flags] == [[], [], [], ["r1-b1"], [], ["r1-b2"]]
    [(user, flag_id)] = flags[3]
    bucket = SlidingWindow(600, 10).bucket(start + timedelta(seconds=4))
    assert user == "r1-b1" and flag_id == f"batch_device#{batch['batch_id']}#{device}#r1-b1#{bucket}"
    item = codes.item(pk, "RISK")
    assert item["evidence"] == {"batch_id": batch["batch_id"], "device_id": device}
    assert item["expires_at"] <= (start + timedelta(minutes=13)).timestamp()
    # Eleven minutes later the window holds none of them: the next code does not flag.
    later = start + timedelta(minutes=11, seconds=10)
    [quiet] = flags_of_writes(
        codes, pk, [lambda: claim_at(codes, "r1-b1", codes.code(batch["batch_id"], 9), later, device)]
    )
    assert quiet == []


BEIJING = {"latitude": 39.9042, "longitude": 116.4074}
SHANGHAI = {"latitude": 31.2304, "longitude": 121.4737}
BEIJING_EAST = {"latitude": 39.9219, "longitude": 116.4436}  # Chaoyang, about 4 km away


def test_scans_beijing_then_shanghai_five_minutes_apart_flag_the_same_city_and_no_location_do_not(
    codes: Codes,
) -> None:
    batch, start = codes.create_batch(), datetime.now(UTC)
    code = iter(codes.code(batch["batch_id"], n) for n in range(1, 20))
    pk = "RISK#where#r1-g1"

    flags = flags_of_writes(
        codes,
        pk,
        [
            lambda: claim_at(codes, "r1-g1", next(code), start, location=BEIJING),
            lambda: claim_at(codes, "r1-g1", next(code), start + timedelta(minutes=2), location=BEIJING_EAST),
            lambda: claim_at(codes, "r1-g1", next(code), start + timedelta(minutes=3)),  # no location
            lambda: claim_at(codes, "r1-g1", next(code), start + timedelta(minutes=7), location=SHANGHAI),
        ],
    )

    assert flags[:3] == [[], [], []]
    [(user, flag_id)] = flags[3]
    assert user == "r1-g1" and flag_id.startswith("far_apart_scans#r1-g1#")
    before = codes.item(pk, "RISK")
    [flag] = derive(
        Change(
            "codes",
            "MODIFY",
            {**before, "latitude": 39.9042, "longitude": 116.4074, "at": iso(start + timedelta(minutes=2))},
            before,
        )
    )
    assert flag.rule == "far_apart_scans" and flag.evidence["from"] == [39.9, 116.4]
    assert 1050 < flag.evidence["km"] < 1090 and flag.evidence["minutes"] == 5.0
    # Flying there (over two hours later) is not farming.
    [slow] = flags_of_writes(
        codes,
        pk,
        [lambda: claim_at(codes, "r1-g1", next(code), start + timedelta(hours=4), location=BEIJING)],
    )
    assert slow == []


def test_a_scan_location_out_of_bounds_is_422_and_one_in_bounds_is_kept_a_day(codes: Codes) -> None:
    batch = codes.create_batch()
    bad = scan(codes, "r1-l1", codes.code(batch["batch_id"], 1), location={"latitude": 91, "longitude": 0})
    assert_problem(bad, 422, "validation_error")
    assert scan(codes, "r1-l1", codes.code(batch["batch_id"], 1), location=BEIJING).status == 202
    place = codes.item("RISK#where#r1-l1", "RISK")
    assert (place["latitude"], place["longitude"]) == (39.9042, 116.4074)
    assert place["expires_at"] <= datetime.now(UTC).timestamp() + 86400
