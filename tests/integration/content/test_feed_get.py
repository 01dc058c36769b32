"""GET /v1/feed through its function: each feed in its order, pages joined by cursors bound to
their reader and feed, one Query and one BatchGetItem per page, removed posts gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from earnloop.content.feed_keys import follower_key, like_key

from tests.integration.content.feed_harness import T0, Feeds, at, comment, event, hidden, published
from tests.support.lambdas import assert_problem, call_http


def profile_changed(user_id: str, **fields: str) -> dict[str, object]:
    return event("ProfileChanged", source="earnloop.identity", user_id=user_id, **fields)


@pytest.fixture
def feeds(moto_cloud) -> Feeds:
    return Feeds(moto_cloud)


def test_new_is_newest_first_across_pages_and_the_last_page_has_no_cursor(feeds):
    feeds.deliver(*(published(f"p{i}", minute=i) for i in range(7)))

    pages = feeds.all_pages("reader-1", kind="new", limit="3")

    assert pages == [["p6", "p5", "p4"], ["p3", "p2", "p1"], ["p0"]]


def test_a_topic_feed_holds_that_topics_posts_newest_first(feeds):
    feeds.deliver(
        published("p1", topics=["Breakfast", "bowls"], minute=1),
        published("p2", topics=["bowls"], minute=2),
        published("p3", topics=["#breakfast"], minute=3),
    )

    assert feeds.all_pages("reader-1", kind="new", topic="breakfast", limit="1") == [["p3"], ["p1"]]
    assert feeds.ids("reader-1", topic="bowls") == ["p2", "p1"]
    assert feeds.ids("reader-1", topic="nothing-here") == []


def test_a_removed_a_taken_down_and_a_reported_post_leave_every_feed(feeds):
    feeds.deliver(*(published(f"p{i}", topics=["bowls"], minute=i) for i in range(4)))
    feeds.rank(T0 + timedelta(hours=1))
    assert sorted(feeds.ids("reader-1", kind="hot")) == ["p0", "p1", "p2", "p3"]

    feeds.deliver(
        hidden("PostRemoved", "p1", minute=10),
        hidden("PostTakenDown", "p2", minute=10),
        hidden("PostInReview", "p3", minute=10),
    )

    for query in ({"kind": "new"}, {"kind": "hot"}, {"topic": "bowls"}, {"kind": "for_you"}):
        assert feeds.ids("reader-1", **query) == ["p0"], query


def test_a_cursor_works_only_for_its_reader_and_its_feed_and_unaltered(feeds):
    feeds.deliver(*(published(f"p{i}", topics=["bowls"], minute=i) for i in range(3)))
    cursor = feeds.feed("reader-1", kind="new", limit="1").json["next_cursor"]
    assert feeds.ids("reader-1", kind="new", limit="1", cursor=cursor) == ["p1"]

    assert_problem(feeds.feed("reader-2", kind="new", limit="1", cursor=cursor), 422, "validation_error")
    assert_problem(feeds.feed("reader-1", kind="hot", limit="1", cursor=cursor), 422, "validation_error")
    assert_problem(feeds.feed("reader-1", topic="bowls", limit="1", cursor=cursor), 422, "validation_error")
    payload, mac = cursor.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (f"{flipped}.{mac}", f"{payload}.{mac[:-1]}", payload, "x.y.z", "%%%"):
        assert_problem(feeds.feed("reader-1", kind="new", limit="1", cursor=bad), 422, "validation_error")


def test_a_page_is_one_query_and_one_batch_get_whatever_its_size(feeds, moto_cloud):
    feeds.deliver(*(published(f"p{i}", author_id=f"author-{i % 3}", minute=i) for i in range(12)))
    token = moto_cloud.token("reader-1")
    # A cold container first reads the revoked sessions (platform/sessions.py), then not for a minute.
    call_http("feed_get", token=token, query={"kind": "new", "limit": "1"})
    calls = feeds.counting()
    try:
        answer = call_http("feed_get", token=token, query={"kind": "new", "limit": "10"})
        cursor = answer.json["next_cursor"]
        call_http("feed_get", token=token, query={"kind": "for_you", "limit": "10"})
        call_http("feed_get", token=token, query={"kind": "new", "limit": "10", "cursor": cursor})
    finally:
        feeds.stop_counting(calls)
    assert len(answer.json["items"]) == 10
    assert calls.operations == ["Query", "BatchGetItem"] * 3


def test_liked_by_me_and_author_profiles_come_with_the_page(feeds):
    feeds.deliver(
        published("p1", author_id="alice", minute=1, author={"id": "alice", "nickname": "Alice (old)"}),
        published("p2", author_id="bob", minute=2, author={"id": "bob", "nickname": "Bob"}),
    )
    # Issue 9's like, as its writer stores it; Alice's profile edits from identity, the older
    # one arriving last.
    feeds.put(**like_key("p1", "reader-1"), entity="Like", liked=True)
    feeds.put(**like_key("p2", "reader-1"), entity="Like", liked=False)
    avatar = "https://thirdwx.qlogo.cn/a.png"
    feeds.deliver(
        profile_changed("alice", nickname="Alice", avatar_url=avatar, updated_at=at(9)),
        profile_changed("alice", nickname="Alice (older)", updated_at=at(8)),
    )

    mine = feeds.feed("reader-1", kind="new").json["items"]
    theirs = feeds.feed("reader-2", kind="new").json["items"]

    assert [(p["post_id"], p["liked_by_me"]) for p in mine] == [("p2", False), ("p1", True)]
    assert [p["liked_by_me"] for p in theirs] == [False, False]
    assert mine[1]["author"] == {"id": "alice", "nickname": "Alice", "avatar_url": avatar}
    assert mine[0]["author"] == {"id": "bob", "nickname": "Bob"}
    assert mine[0]["status"] == "published" and mine[0]["like_count"] == 0


def test_a_page_shows_rendition_urls_not_storage_keys(feeds):
    media = [
        {
            "media_id": "m1",
            "kind": "image",
            "renditions": {"display": "media/m1/display.jpg", "thumb": "media/m1/thumb.jpg"},
        },
        # A raw upload's key is never signed, whatever an event says.
        {"media_id": "m2", "kind": "image", "renditions": {"display": "uploads/u/m2"}},
    ]
    feeds.deliver(published("p1", media=media))

    shown = feeds.feed("reader-1", kind="new").json["items"][0]["media"]

    assert [m["media_id"] for m in shown] == ["m1", "m2"] and "renditions" not in shown[0]
    assert set(shown[0]["urls"]) == {"display", "thumb"} and shown[1]["urls"] == {}
    assert (
        "media/m1/display.jpg" in shown[0]["urls"]["display"] and "Signature" in shown[0]["urls"]["display"]
    )


def test_following_is_empty_without_follows_and_fed_on_publish_once_there_are(feeds):
    feeds.deliver(published("p1", author_id="alice", minute=1))
    assert feeds.ids("reader-1", kind="following") == []

    # A follow as issue 9 will record it: the author's follower list in the content table.
    feeds.put(**follower_key("alice", "reader-1"), entity="Follower")
    feeds.deliver(published("p2", author_id="alice", minute=2), published("p3", author_id="bob", minute=3))

    assert feeds.ids("reader-1", kind="following") == ["p2"]
    assert feeds.ids("reader-2", kind="following") == []
    feeds.deliver(hidden("PostRemoved", "p2", author_id="alice", minute=5))
    assert feeds.ids("reader-1", kind="following") == []


def test_counts_shown_on_a_page_follow_comments(feeds):
    feeds.deliver(published("p1", topics=["bowls"]))
    feeds.deliver(comment("p1", "c1"), comment("p1", "c2"))

    assert [p["comment_count"] for p in feeds.feed("reader-1", kind="new").json["items"]] == [2]
    assert [p["comment_count"] for p in feeds.feed("reader-1", topic="bowls").json["items"]] == [2]


def test_bad_queries_are_refused(feeds):
    assert_problem(feeds.feed("reader-1", kind="popular"), 422, "validation_error")
    assert_problem(feeds.feed("reader-1", kind="following", topic="bowls"), 422, "validation_error")
    assert_problem(feeds.feed("reader-1", topic="#"), 422, "validation_error")
    assert_problem(feeds.feed("reader-1", limit="0"), 422, "validation_error")
    assert_problem(call_http("feed_get", query={"kind": "new"}), 401, "unauthenticated")
