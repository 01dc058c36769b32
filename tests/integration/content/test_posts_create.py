"""POST /v1/posts and GET /v1/posts/{id}: a post waits for its media and moderation, then is
published, sent to review or rejected; who sees what; Idempotency-Key; what a post may carry."""

from __future__ import annotations

import pytest

from tests.integration.content.posts_harness import Posts, detail_types
from tests.support.lambdas import assert_problem


@pytest.fixture
def posts(moto_cloud) -> Posts:
    return Posts(moto_cloud)


def test_a_post_waits_in_pending_until_its_media_are_ready_then_is_published(posts) -> None:
    first, second = posts.media("alice"), posts.media("alice")

    created = posts.create(
        "alice", text="oat & peach bowl", media_ids=[first, second], topics=["#Fruit  Bowl"]
    )

    assert created.status == 201, created.body
    post = created.json
    assert post["status"] == "pending" and post["topics"] == ["fruit bowl"]
    assert [m["status"] for m in post["media"]] == ["pending", "pending"]
    assert created.headers["location"] == f"/v1/posts/{post['post_id']}"
    # Nobody but the author sees a pending post.
    assert posts.get("alice", post["post_id"]).json["status"] == "pending"
    assert_problem(posts.get("bob", post["post_id"]), 404, "not_found")

    posts.ready(first)
    posts.run_posts_worker()
    assert posts.get("alice", post["post_id"]).json["status"] == "pending"

    posts.ready(second)
    delivered = posts.run_posts_worker()
    assert detail_types(delivered).count("MediaReady") >= 2

    seen = posts.get("bob", post["post_id"])
    assert seen.status == 200, seen.body
    body = seen.json
    assert body["status"] == "published"
    assert body["author"]["id"] == "alice"
    assert (body["like_count"], body["comment_count"], body["liked_by_me"]) == (0, 0, False)
    assert all(m["status"] == "ready" and "display" in m["urls"] for m in body["media"])
    assert "reason" not in body
    published = [e for e in posts.events("feed") if e["detail-type"] == "PostPublished"]
    assert published and published[0]["detail"]["post_id"] == post["post_id"]
    assert published[0]["detail"]["media"][0]["renditions"]["display"].startswith("media/")


def test_media_ready_before_the_post_is_created_publishes_it_at_once(posts) -> None:
    media = posts.media("alice")
    posts.ready(media)
    posts.run_posts_worker()  # no post claims it yet: nothing to move

    created = posts.create("alice", media_ids=[media])

    assert created.status == 201, created.body
    assert created.json["status"] == "published"
    assert posts.get("bob", created.json["post_id"]).status == 200


def test_a_rejected_image_rejects_the_post_and_only_the_author_sees_why(posts) -> None:
    good, bad = posts.media("alice"), posts.media("alice")
    post_id = posts.create("alice", media_ids=[good, bad]).json["post_id"]

    posts.reject(bad, "damaged")
    posts.run_posts_worker()

    mine = posts.get("alice", post_id).json
    assert (mine["status"], mine["reason"]) == ("rejected", "media:damaged")
    assert_problem(posts.get("bob", post_id), 404, "not_found")
    # Its other image becoming ready later changes nothing.
    posts.ready(good)
    posts.run_posts_worker()
    assert posts.get("alice", post_id).json["status"] == "rejected"
    # One change, one event (the pump hands the stream over again each time: the same event id).
    rejected = {
        e["detail"]["event_id"]: e["detail"]
        for e in posts.events("feed")
        if e["detail-type"] == "PostRejected"
    }
    [event] = rejected.values()
    assert (event["post_id"], event["author_id"], event["reason"]) == (post_id, "alice", "media:damaged")


def test_text_rejected_by_moderation_is_a_rejected_post_that_claims_no_media(posts) -> None:
    media = posts.media("alice")

    refused = posts.create("alice", text="this is demo-reject text", media_ids=[media])

    assert refused.status == 201, refused.body
    assert (refused.json["status"], refused.json["reason"]) == ("rejected", "text")
    # The upload stays free for a corrected post.
    corrected = posts.create("alice", text="a clean caption", media_ids=[media])
    assert corrected.status == 201, corrected.body
    assert corrected.json["status"] == "pending"


def test_text_for_review_goes_to_the_admins_once_its_media_are_ready(posts) -> None:
    media = posts.media("alice")
    post_id = posts.create("alice", text="demo-review please", media_ids=[media]).json["post_id"]
    posts.ready(media)
    posts.run_posts_worker()

    mine = posts.get("alice", post_id).json
    assert (mine["status"], mine["reason"]) == ("in_review", "text")
    assert_problem(posts.get("bob", post_id), 404, "not_found")


def test_an_image_for_review_sends_the_post_to_review(posts) -> None:
    media = posts.media("alice")
    post_id = posts.create("alice", media_ids=[media]).json["post_id"]
    posts.ready(media, moderation="review")
    posts.run_posts_worker()

    assert posts.get("alice", post_id).json["reason"] == "image"


def test_the_same_idempotency_key_and_body_give_the_same_post(posts) -> None:
    first = posts.create("alice", key="k-1", text="hello", topics=["a"])
    again = posts.create("alice", key="k-1", text="hello", topics=["a"])
    other_user = posts.create("bob", key="k-1", text="hello", topics=["a"])

    assert (first.status, again.status, other_user.status) == (201, 201, 201)
    assert again.json["post_id"] == first.json["post_id"]
    assert other_user.json["post_id"] != first.json["post_id"]
    stored_posts = [p for p in posts.events("feed") if p["detail-type"] == "PostPublished"]
    assert len({p["detail"]["post_id"] for p in stored_posts}) == 2


def test_the_same_idempotency_key_with_another_body_is_409(posts) -> None:
    posts.create("alice", key="k-1", text="hello")

    assert_problem(posts.create("alice", key="k-1", text="hello!"), 409, "idempotency_conflict")


def test_media_claimed_by_another_post_or_owned_by_someone_else_is_refused(posts) -> None:
    media = posts.media("alice")
    assert posts.create("alice", media_ids=[media]).status == 201

    problem = assert_problem(posts.create("alice", media_ids=[media]), 422, "validation_error")
    assert media in problem["detail"]
    assert_problem(posts.create("bob", media_ids=[posts.media("alice")]), 422, "validation_error")
    assert_problem(posts.create("alice", media_ids=["01JDQ4A1B2C3D4E5F6G7H8J9K0"]), 422, "validation_error")


def test_rejected_media_cannot_be_posted(posts) -> None:
    media = posts.media("alice")
    posts.reject(media)

    assert_problem(posts.create("alice", media_ids=[media]), 422, "validation_error")


BAD_BODIES = {
    "empty": {"text": "", "media_ids": []},
    "long text": {"text": "x" * 1001},
    "six topics": {"topics": ["a", "b", "c", "d", "e", "f"]},
    "empty topic": {"topics": ["#"]},
    "ten media": {"media_ids": [f"m{i}" for i in range(10)]},
    "number text": {"text": 5},
    "empty sku": {"sku": ""},
    "extra": {"unknown": 1},
}


def test_bad_bodies_are_422(posts) -> None:
    # One cloud for every case: each is refused before anything is written.
    for case, body in BAD_BODIES.items():
        answer = posts.create("alice", **body)
        assert answer.status == 422, (case, answer.body)
        assert_problem(answer, 422, "validation_error")


def test_images_and_a_video_cannot_be_mixed_and_only_one_video_is_allowed(posts) -> None:
    image, video, video2 = posts.media("alice"), posts.media("alice", "video"), posts.media("alice", "video")

    assert_problem(posts.create("alice", media_ids=[image, video]), 422, "validation_error")
    assert_problem(posts.create("alice", media_ids=[video, video2]), 422, "validation_error")
    assert posts.create("alice", media_ids=[video]).status == 201


def test_five_topics_are_normalized_and_deduplicated(posts) -> None:
    full_width_fruit = "\uff26\uff32\uff35\uff29\uff34"
    created = posts.create("alice", topics=["Breakfast", "#breakfast", full_width_fruit, "a", "b", "c"])

    assert created.status == 201, created.body
    assert created.json["topics"] == ["breakfast", "fruit", "a", "b", "c"]


def test_a_sku_must_be_one_the_author_scanned(posts, moto_cloud) -> None:
    assert_problem(posts.create("alice", sku="YOG-OAT-PEACH-250"), 422, "validation_error")
    scan = {
        "version": "0",
        "id": "e1",
        "detail-type": "ScanClaimed",
        "source": "earnloop.codes",
        "account": "123456789012",
        "time": "2026-12-02T09:00:00Z",
        "region": "ap-east-1",
        "resources": [],
        "detail": {"user_id": "alice", "sku": "YOG-OAT-PEACH-250", "claimed_at": "2026-12-02T09:00:00.000Z"},
    }
    from tests.support.lambdas import invoke, sqs_event

    assert invoke("posts_worker", sqs_event("sqs/posts_worker.json", scan, scan)) == {"batchItemFailures": []}

    assert posts.create("alice", sku="YOG-OAT-PEACH-250").status == 201
    assert_problem(posts.create("bob", sku="YOG-OAT-PEACH-250"), 422, "validation_error")


def test_posting_needs_a_token(posts) -> None:
    from tests.support.lambdas import call_http

    assert_problem(call_http("posts_create", body={"text": "hi"}), 401, "unauthenticated")


def test_liked_by_me_reads_the_readers_own_like(posts) -> None:
    from earnloop.content.likes_store import like_key
    from earnloop.platform import aws
    from earnloop.platform.dynamo import marshal

    post_id = posts.create("alice").json["post_id"]
    # A like as the likes area stores it (content/likes_store.py); an unliked item is no like.
    for user, liked in (("bob", True), ("carol", False)):
        item = {**like_key(post_id, user), "entity": "Like", "liked": liked}
        aws.dynamodb().put_item(TableName=posts.table, Item=marshal(item))

    assert posts.get("bob", post_id).json["liked_by_me"] is True
    assert posts.get("carol", post_id).json["liked_by_me"] is False
