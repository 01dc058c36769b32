"""Journey steps 3-4 for a text post on the local cloud over HTTP: a buyer posts about a product he
scanned, earns the post rule's points, a friend comments, readers report it, an admin takes it
down and the points go back (the photo path is the media tests')."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.harness import assert_problem, history_of, points_of, scan

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers, User

pytestmark = pytest.mark.e2e


def test_a_post_earns_is_commented_reported_taken_down_and_gives_its_points_back(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, admin: User, batch: Batch
) -> None:
    li, wang = buyers.login(), buyers.login()
    assert scan(api, li, batch.codes[0]).status_code == 202
    cloud.pump_until_idle()
    # Only a product he scanned: Wang has not scanned it.
    body = {
        "text": "Oat & peach bowl",
        "media_ids": [],
        "topics": ["#Breakfast"],
        "sku": "DEMO-YOGURT-OAT-PEACH",
    }
    assert_problem(api.post("/v1/posts", headers=wang.headers, json=body), 422, "validation_error")

    created = api.post("/v1/posts", headers={**li.headers, "Idempotency-Key": f"post-{li.id}"}, json=body)
    assert created.status_code == 201, created.text
    post = created.json()
    assert (post["status"], post["topics"], post["sku"]) == (
        "published",
        ["breakfast"],
        "DEMO-YOGURT-OAT-PEACH",
    )
    cloud.pump_until_idle()
    assert points_of(api, li)["balance"] == batch.points + 10

    path = f"/v1/posts/{post['post_id']}"
    assert api.post(f"{path}/comments", headers=wang.headers, json={"text": "Looks great"}).status_code == 201
    seen = api.get(path, headers=wang.headers).json()
    assert (seen["comment_count"], seen["author"]["id"]) == (1, li.id)

    for reader in (wang, buyers.login(), buyers.login()):
        assert api.post(f"{path}/reports", headers=reader.headers, json={"reason": "spam"}).status_code == 202
    assert_problem(api.get(path, headers=wang.headers), 404, "not_found")
    queue = api.get("/v1/admin/moderation", headers=admin.headers).json()["items"]
    assert post["post_id"] in [item["post_id"] for item in queue]

    taken = api.post(
        f"/v1/admin/posts/{post['post_id']}/reject", headers=admin.headers, json={"reason": "spam"}
    )
    assert taken.status_code == 200, taken.text
    cloud.pump_until_idle()

    assert points_of(api, li)["balance"] == batch.points
    assert [(h["type"], h["delta"]) for h in history_of(api, li)][:2] == [("adjust", -10), ("earn", 10)]
    mine = api.get(path, headers=li.headers).json()
    assert (mine["status"], mine["reason"]) == ("rejected", "spam")
