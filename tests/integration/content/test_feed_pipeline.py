"""The feeds fed by the real producers: posts created, commented and deleted through their routes,
a profile edited through identity's, the content and identity streams pumped to the bus, and what
the rules bring to the feed queue delivered to the feed materializer (every record again at each
pump: at-least-once delivery)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import call_http, drain, invoke, pump_stream, sqs_event


@pytest.fixture
def posts(moto_cloud) -> Posts:
    return Posts(moto_cloud)


def run_feed_worker(posts: Posts) -> list[str]:
    pump_stream(posts.cloud.streams["content"])
    pump_stream(posts.cloud.streams["identity"])
    bodies = drain(posts.cloud.queues["feed"].main)
    if bodies:
        answer = invoke("feed_materialize", sqs_event("sqs/feed_materialize.json", *bodies))
        assert answer == {"batchItemFailures": []}
    return [b["detail-type"] for b in bodies]


def feed(posts: Posts, reader: str, **query: str) -> list[dict[str, Any]]:
    answer = call_http("feed_get", token=posts.cloud.token(reader), query=query)
    assert answer.status == 200, answer.body
    return answer.json["items"]  # type: ignore[no-any-return]


def test_a_post_published_commented_and_deleted_through_the_routes_moves_through_the_feeds(posts):
    media = posts.media("alice")
    posts.ready(media)
    posts.run_posts_worker()
    edited = call_http("me_update", token=posts.cloud.token("alice"), body={"nickname": "Xiao Li"})
    assert edited.status == 200, edited.body
    created = posts.create("alice", text="oat & peach bowl", media_ids=[media], topics=["Fruit Bowl"])
    assert created.status == 201 and created.json["status"] == "published", created.body
    post_id = created.json["post_id"]

    assert {"PostPublished", "ProfileChanged"} <= set(run_feed_worker(posts))

    [shown] = feed(posts, "bob", kind="new")
    assert shown["post_id"] == post_id and shown["topics"] == ["fruit bowl"]
    assert shown["author"] == {"id": "alice", "nickname": "Xiao Li"}
    assert "display" in shown["media"][0]["urls"]
    assert [p["post_id"] for p in feed(posts, "bob", topic="fruit bowl".replace(" ", "%20"))] == [post_id]
    assert [p["post_id"] for p in feed(posts, "bob", kind="hot")] == [post_id]

    assert posts.on_post("comments_create", "bob", post_id, body={"text": "looks good"}).status == 201
    assert "CommentAdded" in run_feed_worker(posts)
    assert [p["comment_count"] for p in feed(posts, "carol", kind="new")] == [1]

    assert posts.on_post("posts_delete", "alice", post_id).status == 204
    assert "PostRemoved" in run_feed_worker(posts)
    for query in ({"kind": "new"}, {"kind": "hot"}, {"topic": "fruit%20bowl"}):
        assert feed(posts, "bob", **query) == []
    topics = call_http("topics_list", token=posts.cloud.token("bob")).json
    assert topics == {"topics": []}
