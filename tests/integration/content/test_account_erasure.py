"""A deleted account's content (`UserDeleted` on the posts worker), under moto: the author's posts
removed whatever their state (each derives `PostRemoved`, which clears media, comments and feeds),
nobody else's touched, the feeds' author profile, scanned products, interests and following inbox
deleted; a redelivery
changes nothing."""

from __future__ import annotations

import pytest
from earnloop.content.feed_keys import author_key, reader_key
from earnloop.content.posts_store import scanned_sku_key
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal

from tests.integration.content.feed_harness import event
from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import assert_problem, call_http, invoke, sqs_event, stored


@pytest.fixture
def posts(moto_cloud) -> Posts:
    return Posts(moto_cloud)


def created(posts: Posts, user: str, text: str = "my fruit bowl") -> str:
    answer = posts.create(user, text=text)
    assert answer.status == 201, answer.body
    return str(answer.json["post_id"])


def deliver(body: dict) -> None:
    assert invoke("posts_worker", sqs_event("sqs/posts_worker.json", body)) == {"batchItemFailures": []}


def test_the_deleted_authors_posts_are_removed_and_nobody_elses(posts, moto_cloud) -> None:
    public = created(posts, "alice")
    in_review = created(posts, "alice", "demo-review caption")
    already_gone = created(posts, "alice", "soon deleted")
    assert posts.on_post("posts_delete", "alice", already_gone).status == 204
    kept = created(posts, "bob")
    named = call_http("me_update", token=moto_cloud.token("alice"), body={"nickname": "Alice"})
    assert named.status == 200
    for user, text in (("alice", "alice says hi"), ("bob", "bob replies")):
        answer = posts.on_post("comments_create", user, kept, body={"text": text})
        assert answer.status == 201, answer.body
    posts.events("posts")  # what these writes derived so far, drained
    posts.cloud.register("carol")
    # As the feed worker (ProfileChanged) and the posts worker (ScanClaimed) write them.
    personal = (
        author_key("alice"),
        scanned_sku_key("alice", "SKU-1"),
        reader_key("alice"),
        {"pk": "FEEDFOLLOW#alice", "sk": "2026-12-02T09:00:00.000Z#post"},
    )
    for key in (*personal, reader_key("bob")):
        aws.dynamodb().put_item(TableName=posts.table, Item=marshal({**key, "entity": "Personal"}))

    deleted = event(
        "UserDeleted", source="earnloop.identity", user_id="alice", deleted_at="2026-12-02T10:00:00.000Z"
    )
    deliver(deleted)
    versions = {post_id: posts.item(post_id)["version"] for post_id in (public, in_review, already_gone)}
    deliver(deleted)  # a redelivery writes nothing
    assert {post_id: posts.item(post_id)["version"] for post_id in versions} == versions

    for post_id in (public, in_review, already_gone):
        assert posts.item(post_id)["status"] == "removed"
        assert_problem(posts.get("carol", post_id), 404, "not_found")
    assert posts.item(public)["removed_by"] == "author" and "author_pk" not in posts.item(public)
    assert posts.get("carol", kept).json["comment_count"] == 2
    # Alice's comment under Bob's post is blanked (no text, no nickname); Bob's is untouched.
    listed = posts.on_post("comments_list", "carol", kept).json["items"]
    by_author = {c["author"]["id"]: c for c in listed}
    assert by_author["alice"]["text"] == "" and by_author["alice"]["author"].get("nickname") is None
    assert by_author["bob"]["text"] == "bob replies"
    assert [stored(posts.table, key) for key in personal] == [None] * len(personal)
    assert stored(posts.table, reader_key("bob")) is not None

    # The pump replays the stream from its start: the earlier removal shows again, once.
    removed = [e["detail"]["post_id"] for e in posts.events("posts") if e["detail-type"] == "PostRemoved"]
    assert sorted(removed) == sorted([public, in_review, already_gone])
