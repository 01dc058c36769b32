"""Farming rules that freeze (issue 10, capability 1), on one moto cloud for the module: the codes
stream's `RiskFlagged` reaches the points queue through the points context's rule, and the points
worker freezes the account with reason `risk:<rule>`, once per flag, with an audit record the admins
list; a frozen user's scans answer 423 and their earns are held. Each test uses users of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from earnloop.local.samples import http_event

from tests.conftest import MotoCloud, provisioned_moto
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


@pytest.fixture(scope="module")
def farming_cloud() -> Iterator[MotoCloud]:
    with provisioned_moto() as cloud:
        yield cloud


@pytest.fixture
def moto_cloud(farming_cloud: MotoCloud) -> MotoCloud:
    return farming_cloud


def scan(codes: Codes, user: str, code: str, device: str | None = None, **body: Any) -> HttpAnswer:
    headers = {"X-Device-Id": device} if device else {}
    event = http_event(
        "apigw/scans_create.json", token=codes.cloud.token(user), body={"code": code, **body}, headers=headers
    )
    return http_answer(invoke("scans_create", event))


def to_points(codes: Codes, detail_type: str) -> list[dict[str, Any]]:
    """What the codes table's changes put on the points queue (every record again: at least once)."""
    pump_stream(codes.cloud.streams["codes"])
    return [b for b in drain(codes.cloud.queues["points"].main) if b["detail-type"] == detail_type]


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

    flags = [b for b in to_points(codes, "RiskFlagged") if b["detail"]["user_id"] in users]
    assert sorted(f["detail"]["user_id"] for f in flags) == users
    run_points_worker(*flags)
    run_points_worker(*flags)  # redelivered: nothing more

    for user in users:
        assert points(codes, user)["status"] == "frozen"
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
    claims = [b for b in to_points(codes, "ScanClaimed") if b["detail"]["user_id"] in users]
    run_points_worker(*claims)
    assert {points(codes, u)["balance"] for u in users} == {0}
    assert {points(codes, u)["pending"] for u in users} == {10}
