"""PUT/DELETE /v1/posts/{post_id}/like: idempotent, published posts only, the count is the sum of
the post's like shards, and the post and feed pages show it; the like items derive PostLiked and
PostUnliked."""

from __future__ import annotations

import pytest
from earnloop.content.likes_store import LIKE_SHARDS, count_key, like_key, shard_of

from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import assert_problem, stored


@pytest.fixture
def posts(moto_cloud) -> Posts:
    return Posts(moto_cloud)


def like(posts: Posts, user: str, post_id: str) -> tuple[int, dict]:
    answer = posts.on_post("posts_like", user, post_id)
    return answer.status, answer.json


def unlike(posts: Posts, user: str, post_id: str) -> tuple[int, dict]:
    answer = posts.on_post("posts_unlike", user, post_id)
    return answer.status, answer.json


def test_likes_and_unlikes_are_idempotent_and_counted(posts) -> None:
    post_id = posts.create("alice").json["post_id"]

    assert like(posts, "bob", post_id) == (200, {"liked": True, "like_count": 1})
    assert like(posts, "bob", post_id) == (200, {"liked": True, "like_count": 1})
    assert like(posts, "carol", post_id) == (200, {"liked": True, "like_count": 2})
    # A self-like counts (it earns nothing).
    assert like(posts, "alice", post_id) == (200, {"liked": True, "like_count": 3})

    seen = posts.get("bob", post_id).json
    assert (seen["like_count"], seen["liked_by_me"]) == (3, True)
    assert posts.get("dave", post_id).json["liked_by_me"] is False

    assert unlike(posts, "bob", post_id) == (200, {"liked": False, "like_count": 2})
    assert unlike(posts, "bob", post_id) == (200, {"liked": False, "like_count": 2})
    assert unlike(posts, "dave", post_id) == (200, {"liked": False, "like_count": 2})
    seen = posts.get("bob", post_id).json
    assert (seen["like_count"], seen["liked_by_me"]) == (2, False)
    assert like(posts, "bob", post_id) == (200, {"liked": True, "like_count": 3})

    # The truth: one item per liker in the liker's shard, and the shard counts add up to the likes.
    item = stored(posts.table, like_key(post_id, "bob"))
    assert item is not None and item["liked"] is True and item["post_author_id"] == "alice"
    assert item["pk"] == f"LIKES#{post_id}#{shard_of('bob')}"
    counts = [stored(posts.table, count_key(post_id, s)) for s in range(LIKE_SHARDS)]
    assert sum(int(c["like_count"]) for c in counts if c) == 3


def test_only_published_posts_take_likes_and_only_with_a_token(posts) -> None:
    waiting = posts.create("alice", media_ids=[posts.media("alice")]).json
    assert waiting["status"] == "pending"
    missing = "01JDZZZZZZZZZZZZZZZZZZZZZZ"

    assert_problem(posts.on_post("posts_like", "bob", waiting["post_id"]), 404, "not_found")
    assert_problem(posts.on_post("posts_unlike", "bob", waiting["post_id"]), 404, "not_found")
    assert_problem(posts.on_post("posts_like", "bob", missing), 404, "not_found")
    assert_problem(posts.on_post("posts_like", "bob", "not-a-post"), 422, "validation_error")
    assert stored(posts.table, like_key(waiting["post_id"], "bob")) is None
    # And a like needs a token.
    from tests.support.lambdas import call_http

    answer = call_http("posts_like", path_parameters={"post_id": waiting["post_id"]})
    assert_problem(answer, 401, "unauthenticated")


def test_likes_reach_the_points_worker_as_events_and_pay_once(posts) -> None:
    from earnloop.points.store import PointsStore

    post_id = posts.create("alice").json["post_id"]
    like(posts, "bob", post_id)
    unlike(posts, "bob", post_id)
    like(posts, "bob", post_id)

    bodies = posts.run_points_worker()

    likes = [b["detail"] for b in bodies if b["detail-type"] == "PostLiked"]
    assert len(likes) == 2
    assert {(d["post_id"], d["user_id"], d["post_author_id"]) for d in likes} == {(post_id, "bob", "alice")}
    assert [e.txn_id for e in PointsStore.default().entries("bob")] == [f"like_given#{post_id}#bob"]


def test_feed_cards_show_the_like_count_whatever_the_order_of_events(posts) -> None:
    from tests.support.lambdas import drain, invoke, sqs_event

    post_id = posts.create("alice").json["post_id"]
    like(posts, "bob", post_id)
    like(posts, "carol", post_id)
    unlike(posts, "carol", post_id)
    like(posts, "dave", post_id)
    likes = posts.events("likes")
    published = drain(posts.cloud.queues["feed"].main)
    assert sorted(b["detail-type"] for b in likes) == ["PostLiked"] * 3 + ["PostUnliked"]

    # The likes overtake the publish, and are delivered twice.
    assert invoke("likes_count", sqs_event("sqs/likes_count.json", *likes, *likes)) == {
        "batchItemFailures": []
    }
    assert invoke("feed_materialize", sqs_event("sqs/feed_materialize.json", *published)) == {
        "batchItemFailures": []
    }

    page = posts.call("feed_get", "erin", query={"kind": "new"}).json["items"]
    assert [(p["post_id"], p["like_count"]) for p in page] == [(post_id, 2)]


def test_a_removed_posts_likes_are_deleted_with_its_comments(posts) -> None:
    post_id = posts.create("alice").json["post_id"]
    like(posts, "bob", post_id)
    like(posts, "carol", post_id)
    unlike(posts, "carol", post_id)
    assert posts.on_post("posts_delete", "alice", post_id).status == 204

    posts.run_posts_worker()

    for user in ("bob", "carol"):
        assert stored(posts.table, like_key(post_id, user)) is None
        assert stored(posts.table, count_key(post_id, shard_of(user))) is None
