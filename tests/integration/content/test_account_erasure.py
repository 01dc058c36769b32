"""A deleted account's content (`UserDeleted` on the posts worker), under moto: the author's posts
removed whatever their state (each derives `PostRemoved`, which clears media, comments and feeds),
nobody else's touched, the feeds' author profile, scanned products, interests and following inbox
deleted; a redelivery
changes nothing."""

from __future__ import annotations

import pytest
from earnloop.content import erasure_rounds
from earnloop.content.feed_keys import author_key, reader_key
from earnloop.content.likes_store import LikesStore, like_key
from earnloop.content.posts_store import scanned_sku_key
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal

from tests.integration.content.feed_harness import event
from tests.integration.content.posts_harness import NOW, Posts
from tests.support.lambdas import assert_problem, call_http, drain, invoke, sqs_event, stored


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


def test_the_deleted_users_likes_are_taken_back_in_rounds_and_a_redelivery_changes_nothing(
    posts, moto_cloud, monkeypatch
) -> None:
    # A round of 10 writes: 9 likes and a comment take two rounds, as thousands would take many.
    monkeypatch.setattr(erasure_rounds, "ERASE_BUDGET", 10)
    kept = created(posts, "bob")
    for user in ("alice", "carol"):
        assert posts.on_post("posts_like", user, kept).status == 200
    assert posts.on_post("comments_create", "alice", kept, body={"text": "nice"}).status == 201
    likes = LikesStore.default()
    others = [f"P{n:03d}" for n in range(8)]
    for post_id in others:
        likes.set_like(post_id, "alice", "dave", True, NOW)
    for post_id in others[:2]:
        likes.set_like(post_id, "alice", "dave", False, NOW)
    likes.set_like(others[0], "carol", "dave", True, NOW)
    assert posts.get("carol", kept).json["like_count"] == 2
    # Her likes, newest first, from the index alone (what the export lists).
    assert [like.post_id for like in likes.given("alice", liked=True, limit=100)] == [kept, *others[:1:-1]]

    deliver(DELETED)
    # The first round left work: its round item derived `UserErasureContinued` round 1.
    (continued,) = {_round(b): b for b in posts.events("posts") if _round(b) > 0}.values()
    assert continued["detail-type"] == "UserErasureContinued" and _round(continued) == 1
    deliver(continued)
    deliver(continued)  # redeliveries: nothing left, no new round
    deliver(DELETED)

    assert max(_round(b) for b in posts.events("posts")) == 1
    assert posts.get("carol", kept).json["like_count"] == 1
    assert [stored(posts.table, like_key(p, "alice")) for p in [kept, *others]] == [None] * 9
    assert likes.given("alice", liked=True, limit=10) == likes.given("alice", liked=False, limit=10) == []
    assert stored(posts.table, like_key(others[0], "carol"))["liked"] is True
    assert [likes.count(post_id) for post_id in others[:3]] == [1, 0, 0]
    unliked = {
        b["detail"]["post_id"]
        for b in drain(moto_cloud.queues["likes"].main)
        if b["detail-type"] == "PostUnliked" and b["detail"]["unliked_at"] == DELETED_AT
    }
    assert unliked == {kept, *others[2:]}


DELETED_AT = "2026-12-02T10:00:00.000Z"
DELETED = event("UserDeleted", source="earnloop.identity", user_id="alice", deleted_at=DELETED_AT)


def _round(body: dict) -> int:
    """A delivered erasure's round: `UserDeleted` (and any other event) is round 0."""
    return int(body["detail"].get("round", 0))
