"""Journey step 4 on the local cloud over HTTP: Xiao Wang likes Xiao Li's post; Li is told, both
earn their rule's points (Wang at once, Li at the next minute's pay run), and the leaderboard built
by its schedule shows them both. A repeated like, an unlike and a like again pay nothing more."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from earnloop.platform.clock import utcnow
from earnloop.points.earning_rules import earning_rule

from tests.e2e.harness import points_of, scan

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud
    from fastapi.testclient import TestClient

    from tests.e2e.harness import Batch, Buyers

pytestmark = pytest.mark.e2e


def _pay_likes_and_build_the_board(cloud: LocalCloud) -> None:
    # Both run every minute in `make dev`; fired here as their schedules would be once the like's
    # minute has closed (points/like_pay.py: two minutes after it ends).
    assert cloud.scheduler is not None
    cloud.scheduler.fire("points_like_pay", utcnow() + timedelta(minutes=3))
    cloud.pump_until_idle()
    cloud.scheduler.fire("leaderboard_build", utcnow())
    cloud.pump_until_idle()


def test_wang_likes_lis_post_li_is_told_both_earn_and_the_leaderboard_shows_them(
    cloud: LocalCloud, api: TestClient, buyers: Buyers, batch: Batch
) -> None:
    li, wang = buyers.login("xiaoli"), buyers.login("xiaowang")
    assert api.patch("/v1/me", headers=li.headers, json={"nickname": "Xiao Li"}).status_code == 200
    assert api.patch("/v1/me", headers=wang.headers, json={"nickname": "Xiao Wang"}).status_code == 200
    assert scan(api, li, batch.codes[0]).status_code == 202
    cloud.pump_until_idle()  # a post names only a product its author scanned
    created = api.post(
        "/v1/posts",
        headers=li.headers,
        json={
            "text": "Oat & peach bowl",
            "media_ids": [],
            "topics": ["breakfast"],
            "sku": "DEMO-YOGURT-OAT-PEACH",
        },
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["post_id"]
    cloud.pump_until_idle()
    li_before, wang_before = points_of(api, li)["balance"], points_of(api, wang)["balance"]

    like = f"/v1/posts/{post_id}/like"
    liked = api.put(like, headers=wang.headers)
    assert (liked.status_code, liked.json()) == (200, {"liked": True, "like_count": 1})
    # Repeating is harmless; an unlike and a like again pay nobody twice.
    assert api.put(like, headers=wang.headers).json() == {"liked": True, "like_count": 1}
    assert api.delete(like, headers=wang.headers).json() == {"liked": False, "like_count": 0}
    assert api.put(like, headers=wang.headers).json() == {"liked": True, "like_count": 1}
    cloud.pump_until_idle()
    _pay_likes_and_build_the_board(cloud)

    given, received = earning_rule("like_given").points, earning_rule("like_received").points
    assert given and received
    assert points_of(api, wang)["balance"] == wang_before + given
    assert points_of(api, li)["balance"] == li_before + received
    seen = api.get(f"/v1/posts/{post_id}", headers=li.headers).json()
    assert (seen["like_count"], seen["liked_by_me"]) == (1, False)

    inbox = api.get("/v1/notifications", headers=li.headers).json()["items"]
    likes = [note for note in inbox if note["ref"]["id"] == post_id and "Xiao Wang" in note["text"]]
    assert len(likes) == 1, inbox
    assert api.get("/v1/me", headers=li.headers).json()["unread_notifications"] >= 1

    board = api.get("/v1/leaderboard?period=month", headers=li.headers)
    assert board.status_code == 200, board.text
    shown = {entry["nickname"]: entry["points"] for entry in board.json()["entries"]}
    assert shown.get("Xiao Li") == li_before + received
    assert shown.get("Xiao Wang") == wang_before + given
    assert board.json()["me"]["points"] == li_before + received
