"""A published post's earn through the outbox sweep (`content_outbox_sweep`), under moto: a post
whose `PostPublished` never reached the points worker is published again once its delay has
passed, and credited once; a post whose earn arrived is confirmed and never touched; a post taken
down loses its marker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from earnloop.content.posts_outbox import POST_EARN, outbox_key
from earnloop.local.samples import load
from earnloop.platform.clock import iso, parse_iso
from earnloop.points.store import PointsStore

from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import drain, invoke, pump_stream, sqs_event, stored


def sweep_at(published_at: str, later: timedelta) -> dict[str, int]:
    event = {**load("scheduled/content_outbox_sweep.json"), "time": iso(parse_iso(published_at) + later)}
    return invoke("content_outbox_sweep", event)  # type: ignore[no-any-return]


def published(posts: Posts, post_id: str) -> list[dict[str, Any]]:
    """The content stream pumped (from its start, as a redelivery would); the `PostPublished` of
    the post that reached the points queue."""
    pump_stream(posts.cloud.streams["content"])
    return [
        e
        for e in drain(posts.cloud.queues["points"].main)
        if e["detail-type"] == "PostPublished" and e["detail"]["post_id"] == post_id
    ]


def credit(events: list[dict[str, Any]]) -> None:
    assert invoke("points_earn", sqs_event("sqs/points_earn.json", *events)) == {"batchItemFailures": []}


def confirm(posts: Posts) -> None:
    """The points stream pumped; its post earns handed to the posts worker."""
    pump_stream(posts.cloud.streams["points"])
    earned = [e for e in drain(posts.cloud.queues["posts"].main) if e["detail-type"] == "PointsChanged"]
    assert earned
    assert invoke("posts_worker", sqs_event("sqs/posts_worker.json", *earned)) == {"batchItemFailures": []}


def marker(posts: Posts, post_id: str) -> dict[str, Any] | None:
    return stored(posts.table, outbox_key(post_id, POST_EARN))


def test_a_post_whose_earn_never_came_is_published_again_after_the_delay_and_credited_once(
    moto_cloud,
) -> None:
    posts = Posts(moto_cloud)
    answer = posts.create("alice")
    assert answer.status == 201 and answer.json["status"] == "published", answer.body
    post_id = answer.json["post_id"]
    at = posts.item(post_id)["published_at"]  # type: ignore[index]
    assert len(published(posts, post_id)) == 1  # ... and lost on its way to the points worker

    assert sweep_at(at, POST_EARN.delay - timedelta(minutes=1)) == {"touched": 0, "exhausted": 0}
    assert sweep_at(at, POST_EARN.delay + timedelta(minutes=1)) == {"touched": 1, "exhausted": 0}
    again = published(posts, post_id)

    # The stream's redelivery of the post and the sweep's republish: the same event twice.
    assert len(again) == 2 and again[0]["detail"]["published_at"] == again[1]["detail"]["published_at"]
    credit(again)
    confirm(posts)
    entries = [e for e in PointsStore.default().entries("alice") if e.txn_id == f"post#{post_id}"]
    assert [e.delta for e in entries] == [10]
    assert "due_pk" not in (marker(posts, post_id) or {})
    assert sweep_at(at, timedelta(hours=3)) == {"touched": 0, "exhausted": 0}


def test_a_post_whose_earn_arrived_is_confirmed_and_never_touched(moto_cloud) -> None:
    posts = Posts(moto_cloud)
    answer = posts.create("bob")
    post_id = answer.json["post_id"]
    at = posts.item(post_id)["published_at"]  # type: ignore[index]
    assert marker(posts, post_id) is not None and "due_pk" in (marker(posts, post_id) or {})

    credit(published(posts, post_id))
    confirm(posts)

    assert "due_pk" not in (marker(posts, post_id) or {})
    assert sweep_at(at, timedelta(hours=1)) == {"touched": 0, "exhausted": 0}
    assert len(published(posts, post_id)) == 1


def test_a_post_taken_down_before_its_earn_loses_its_marker(moto_cloud) -> None:
    posts = Posts(moto_cloud)
    post_id = posts.create("carol").json["post_id"]
    answer = posts.on_post("admin_posts_reject", "admin", post_id, "admin", body={"reason": "spam"})
    assert answer.status == 200, answer.body

    assert marker(posts, post_id) is None
    at = posts.item(post_id)["published_at"]  # type: ignore[index]
    assert sweep_at(at, timedelta(hours=1)) == {"touched": 0, "exhausted": 0}
