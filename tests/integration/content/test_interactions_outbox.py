"""Likes' and comments' earns through the outbox sweep, under moto: a like or a comment whose
event never reached the points worker is derived again once its delay has passed, paid once, and
confirmed by its earn; a self-like and a like again after an unlike carry no marker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from earnloop.content.earn_sweeps import LIKE_EARN
from earnloop.content.likes_store import like_key
from earnloop.content.posts_store import comment_key
from earnloop.local.samples import load
from earnloop.platform.clock import iso, parse_iso
from earnloop.points.store import PointsStore

from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import drain, invoke, pump_stream, sqs_event, stored


def sweep_at(at: str, later: timedelta) -> dict[str, int]:
    event = {**load("scheduled/content_outbox_sweep.json"), "time": iso(parse_iso(at) + later)}
    return invoke("content_outbox_sweep", event)  # type: ignore[no-any-return]


def reaching_points(posts: Posts) -> list[dict[str, Any]]:
    """The content stream pumped from its start; the likes and comments that reached the points queue."""
    pump_stream(posts.cloud.streams["content"])
    kinds = ("PostLiked", "CommentAdded")
    return [e for e in drain(posts.cloud.queues["points"].main) if e["detail-type"] in kinds]


def test_a_like_and_a_comment_whose_earns_never_came_are_derived_again_and_paid_once(moto_cloud) -> None:
    posts = Posts(moto_cloud)
    post_id = posts.create("alice").json["post_id"]
    assert posts.on_post("posts_like", "bob", post_id).status == 200
    assert posts.on_post("posts_like", "alice", post_id).status == 200
    answer = posts.on_post("comments_create", "carol", post_id, body={"text": "looks great"})
    assert answer.status == 201, answer.body
    comment_id = answer.json["comment_id"]
    bob_like = stored(posts.table, like_key(post_id, "bob")) or {}
    assert "due_pk" in bob_like
    assert "due_pk" not in (
        stored(posts.table, like_key(post_id, "alice")) or {}
    )  # a self-like earns nothing
    assert "due_pk" in (stored(posts.table, comment_key(post_id, comment_id)) or {})
    assert reaching_points(posts)  # ... and lost on their way to the points worker

    assert sweep_at(bob_like["liked_at"], LIKE_EARN.delay - timedelta(minutes=1))["touched"] == 0
    assert sweep_at(bob_like["liked_at"], LIKE_EARN.delay + timedelta(minutes=1))["touched"] >= 2
    again = reaching_points(posts)

    # The stream's redelivery and the sweep's republish: each twice.
    assert len([e for e in again if e["detail"].get("user_id") == "bob"]) == 2
    assert len([e for e in again if e["detail"].get("comment_id") == comment_id]) == 2
    assert invoke("points_earn", sqs_event("sqs/points_earn.json", *again)) == {"batchItemFailures": []}
    pump_stream(posts.cloud.streams["points"])
    earned = [e for e in drain(posts.cloud.queues["posts"].main) if e["detail-type"] == "PointsChanged"]
    assert invoke("posts_worker", sqs_event("sqs/posts_worker.json", *earned)) == {"batchItemFailures": []}

    points = PointsStore.default()
    assert [(e.txn_id, e.delta) for e in points.entries("bob")] == [(f"like_given#{post_id}#bob", 1)]
    assert [(e.txn_id, e.delta) for e in points.entries("carol")] == [(f"comment#{comment_id}", 2)]
    assert "due_pk" not in (stored(posts.table, like_key(post_id, "bob")) or {})
    assert "due_pk" not in (stored(posts.table, comment_key(post_id, comment_id)) or {})


def test_a_like_again_after_an_unlike_carries_no_marker(moto_cloud) -> None:
    posts = Posts(moto_cloud)
    post_id = posts.create("alice").json["post_id"]
    posts.on_post("posts_like", "bob", post_id)
    # Its earn arrived: the marker is confirmed (as the posts worker does).
    from earnloop.content.interactions_outbox import EarnArrived, earn_arrived

    assert earn_arrived(EarnArrived(txn_id=f"like_given#{post_id}#bob", user_id="bob"))
    posts.on_post("posts_unlike", "bob", post_id)
    posts.on_post("posts_like", "bob", post_id)

    item = stored(posts.table, like_key(post_id, "bob")) or {}
    assert item["liked"] is True and "due_pk" not in item
