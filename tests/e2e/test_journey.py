"""The scan-to-earn journey on the local cloud: HTTP in, streams and queues pumped, results read back
through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import SCANS_PER_HOUR
from tests.e2e.harness import assert_problem, create_batch, history_of, points_of, scan

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers, User

pytestmark = pytest.mark.e2e


def test_the_local_cloud_runs_its_tables_on_dynamodb_local(cloud: LocalCloud) -> None:
    if cloud.fallback_reason:
        pytest.skip(cloud.fallback_reason)
    assert cloud.endpoints is not None and cloud.endpoints.dynamodb_backend == "dynamodb-local"
    assert cloud.ddb is not None and cloud.ddb.running


def test_a_scan_is_accepted_then_credited_once_and_a_second_scan_is_refused(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, batch: Batch
) -> None:
    li = buyers.login("xiaoli")
    code = batch.codes[0]

    # Accepted at once; the points are not there yet: they travel stream -> bus -> queue -> worker.
    accepted = scan(api, li, code)
    assert accepted.status_code == 202, accepted.text
    scan_id = accepted.json()["scan_id"]
    assert accepted.json() == {
        "scan_id": scan_id,
        "status": "accepted",
        "points": 50,
        "product": {"sku": "DEMO-YOGURT-OAT-PEACH", "name": "Oat & peach yogurt"},
    }
    assert points_of(api, li)["balance"] == 0

    assert cloud.pump_until_idle() > 0

    points = points_of(api, li)
    assert (points["balance"], points["lifetime_earned"]) == (50, 50)
    [entry] = history_of(api, li)
    assert entry["txn_id"] == f"scan#{code}"
    assert (entry["type"], entry["delta"], entry["balance_after"], entry["reason"]) == (
        "earn",
        50,
        50,
        "scan",
    )
    status = api.get(f"/v1/scans/{scan_id}", headers=li.headers).json()
    assert status["status"] == "credited" and status["points"] == 50
    me = api.get("/v1/me", headers=li.headers).json()
    assert set(me["tags"]) >= {"oat-peach flavour fan", "yogurt"}
    assert me["points"]["balance"] == 50

    # The same code again, by him or by anyone: 409, and nothing more is credited.
    assert_problem(scan(api, li, code), 409, "code_already_claimed")
    assert_problem(scan(api, buyers.login("xiaowang"), code), 409, "code_already_claimed")
    cloud.pump_until_idle()
    assert points_of(api, li)["balance"] == 50
    assert len(history_of(api, li)) == 1


def test_a_forged_or_altered_code_is_rejected_with_400_and_nothing_is_credited(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, batch: Batch
) -> None:
    user = buyers.login()
    genuine = batch.codes[1]
    batch_part, serial, mac = genuine.split(".")
    altered_mac = batch_part + "." + serial + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    other_serial = batch.codes[2].split(".")[1]

    for forged in (altered_mac, f"{batch_part}.{other_serial}.{mac}", "not-a-code"):
        assert_problem(scan(api, user, forged), 400, "invalid_code")

    cloud.pump_until_idle()
    assert points_of(api, user)["balance"] == 0
    assert history_of(api, user) == []
    # The genuine code is still claimable: rejections wrote nothing.
    assert scan(api, user, genuine).status_code == 202


def test_codes_of_a_revoked_batch_are_rejected_with_400(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User
) -> None:
    batch = create_batch(api, admin, count=2)
    user = buyers.login()
    revoked = api.post(f"/v1/admin/code-batches/{batch.id}/revoke", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True

    assert_problem(scan(api, user, batch.codes[0]), 400, "invalid_code")
    cloud.pump_until_idle()
    assert points_of(api, user)["balance"] == 0


def test_scanning_more_than_the_hourly_limit_is_refused_with_429_and_retry_after(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User
) -> None:
    # The window is the UTC hour: a run that straddles an hour boundary is repeated once, so the
    # test cannot flake on the real clock.
    for _attempt in range(2):
        hour = datetime.now(UTC).strftime("%Y%m%d%H")
        batch = create_batch(api, admin, count=SCANS_PER_HOUR + 1)
        user = buyers.login()
        for code in batch.codes[:SCANS_PER_HOUR]:
            assert scan(api, user, code).status_code == 202
        limited = scan(api, user, batch.codes[SCANS_PER_HOUR])
        if datetime.now(UTC).strftime("%Y%m%d%H") == hour:
            break
    assert_problem(limited, 429, "rate_limited")
    # The sliding hour is 12 buckets of 5 minutes plus the current one (docs/decisions.md, "Risk
    # limits"): the wait told is at most 65 minutes.
    assert 1 <= int(limited.headers["Retry-After"]) <= 65 * 60

    cloud.pump_until_idle()
    assert points_of(api, user)["balance"] == SCANS_PER_HOUR * batch.points
    # The refused code was not claimed: someone else may still scan it.
    assert scan(api, buyers.login(), batch.codes[SCANS_PER_HOUR]).status_code == 202


def test_requests_without_a_valid_token_are_refused_with_401(api: TestClient, batch: Batch) -> None:
    assert_problem(api.post("/v1/scans", json={"code": batch.codes[0]}), 401, "unauthenticated")
    forged = {"Authorization": "Bearer not.a.token"}
    assert_problem(api.get("/v1/points", headers=forged), 401, "unauthenticated")
