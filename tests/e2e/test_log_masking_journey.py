"""PIPL: a whole journey's log lines (login, scan, post, redemption with an address, the workers that
follow) hold no openid, unionid, phone, address or token (platform/log_masking.py)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import pytest
from earnloop.platform.observability import logger

from tests.e2e.harness import scan

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers, User

pytestmark = pytest.mark.e2e

ADDRESS = {
    "name": "Zhao Mingyue",
    "phone": "13912345678",
    "region": "Shanghai Xuhui",
    "detail": "88 Caoxi Road",
}


def test_no_personal_data_or_token_reaches_a_log_line(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User, batch: Batch
) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel("DEBUG")  # the most a stage could be set to log
    try:
        zhao = buyers.login("zhao-masking")
        token = zhao.headers["Authorization"].removeprefix("Bearer ")
        assert scan(api, zhao, batch.codes[0]).status_code == 202
        cloud.pump_until_idle()
        post = {"text": f"call me on {ADDRESS['phone']}", "media_ids": [], "topics": ["#Breakfast"]}
        headers = {**zhao.headers, "Idempotency-Key": f"post-{zhao.id}"}
        assert api.post("/v1/posts", headers=headers, json=post).status_code == 201
        reward = api.post(
            "/v1/admin/rewards",
            headers=admin.headers,
            json={"name": "Bowl", "kind": "physical", "points": 10, "stock": 3},
        )
        assert reward.status_code == 201, reward.text
        headers = {**zhao.headers, "Idempotency-Key": f"redeem-{zhao.id}"}
        body = {"reward_id": reward.json()["reward_id"], "quantity": 1, "address": ADDRESS}
        assert api.post("/v1/redemptions", headers=headers, json=body).status_code == 201
        # A token sent where none belongs, and a bad login code: the error paths log too.
        api.get("/v1/points", headers={"Authorization": f"Bearer {token}x"})
        cloud.pump_until_idle()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)

    logged = buffer.getvalue()
    assert logged.count("\n") > 10  # the journey did log
    secrets = [
        token,
        "dev-openid-zhao-masking",
        "dev-unionid-zhao-masking",
        ADDRESS["phone"],
        ADDRESS["detail"],
        ADDRESS["name"],
    ]
    assert [s for s in secrets if s in logged] == []
