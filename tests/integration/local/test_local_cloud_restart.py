"""A local cloud with a data directory (what `make dev` runs) keeps its data across a restart:
users, balances, batches, the signing keys (tokens and printed codes stay valid), and the stream
positions (nothing is re-delivered, nothing committed before the stop is lost). DynamoDB Local is
required here: moto keeps nothing."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest
from earnloop.contexts import routers
from earnloop.local.cloud import LocalCloud
from earnloop.platform.app import create_app
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e


def running(data_dir: Path) -> LocalCloud:
    return LocalCloud(dynamodb="dynamodb-local", data_dir=data_dir)


def login(api: TestClient, name: str) -> tuple[dict[str, str], dict[str, object]]:
    body = api.post("/v1/auth/login", json={"code": f"dev:{name}"}).json()
    return {"Authorization": f"Bearer {body['token']}"}, body["user"]


def new_batch(api: TestClient, admin: dict[str, str], count: int = 3) -> list[str]:
    created = api.post(
        "/v1/admin/code-batches",
        headers=admin,
        json={"sku": "KEEP-1", "product_name": "Kept yogurt", "points": 50, "count": count, "tags": ["kept"]},
    )
    assert created.status_code == 201, created.text
    export = api.get(f"/v1/admin/code-batches/{created.json()['batch_id']}/codes", headers=admin)
    return [row["code"] for row in csv.DictReader(io.StringIO(export.text))]


def test_users_balances_batches_and_keys_survive_a_restart(tmp_path: Path) -> None:
    # Given a first run: a buyer credited once, a second scan accepted but not yet pumped when it stops.
    with running(tmp_path) as cloud:
        api = TestClient(create_app(routers()))
        admin, _ = login(api, "admin")
        alice, alice_user = login(api, "alice")
        codes = new_batch(api, admin)
        assert api.post("/v1/scans", headers=alice, json={"code": codes[0]}).status_code == 202
        cloud.pump_until_idle()
        assert api.get("/v1/points", headers=alice).json()["balance"] == 50
        assert api.post("/v1/scans", headers=alice, json={"code": codes[1]}).status_code == 202
        first_session_key = cloud.secret_values["session"]

    # When it starts again on the same data.
    with running(tmp_path) as cloud:
        api = TestClient(create_app(routers()))
        assert cloud.secret_values["session"] == first_session_key
        # The token issued before the restart still works, and the user is the same one.
        assert api.get("/v1/me", headers=alice).status_code == 200
        _, again = login(api, "alice")
        assert again["id"] == alice_user["id"] and again["is_new"] is False
        # The scan committed before the stop is delivered now: its claim record was never pumped.
        cloud.pump_until_idle()
        assert api.get("/v1/points", headers=alice).json()["balance"] == 100
        # A code printed before the restart still verifies and is still unclaimed.
        assert api.post("/v1/scans", headers=alice, json={"code": codes[2]}).status_code == 202
        # A code already claimed is still claimed.
        assert api.post("/v1/scans", headers=alice, json={"code": codes[0]}).status_code == 409
        cloud.pump_until_idle()
        history = api.get("/v1/points/history", headers=alice).json()["items"]
        # Nothing from the first run was delivered twice: one entry per scan.
        assert api.get("/v1/points", headers=alice).json()["balance"] == 150
        assert len([h for h in history if h["delta"] == 50]) == 3
        assert cloud.stream.failures == []
