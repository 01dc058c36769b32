"""The feed materializer on its SQS sample: every event applied once however often it arrives, and
visibility changes applied in the order they happened, whatever order they arrive in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from earnloop.content.feed_keys import card_key, reader_key, topic_count_key, topic_entry_key

from tests.integration.content.feed_harness import T0, Feeds, at, comment, event, hidden, published
from tests.support.lambdas import all_items, invoke, load


@pytest.fixture
def feeds(moto_cloud) -> Feeds:
    return Feeds(moto_cloud)


def feed_items(feeds: Feeds) -> list[dict[str, Any]]:
    return sorted(all_items(feeds.table), key=lambda i: (i["pk"], i["sk"]))


def test_the_sample_publishes_its_post_into_new_and_its_topics(feeds):
    assert invoke("feed_materialize", load("sqs/feed_materialize.json")) == {"batchItemFailures": []}

    card = feeds.item(**card_key("01JDQ4A1B2C3D4E5F6G7H8J9KM"))
    assert (
        card["state"] == "live"
        and card["new_pk"] == "new"
        and card["topics"] == ["breakfast", "yogurt-bowls"]
    )
    assert feeds.item(**topic_count_key("breakfast"))["post_count"] == 1


def test_a_redelivered_publish_changes_nothing(feeds):
    first = published("p1", topics=["bowls", "breakfast"])
    feeds.deliver(first)
    after_once = feed_items(feeds)

    feeds.deliver(first, first)

    assert feed_items(feeds) == after_once
    assert feeds.item(**topic_count_key("bowls"))["post_count"] == 1
    assert feeds.item(**reader_key("author-1"))["topic:bowls"] == 1


def test_a_redelivered_comment_is_counted_once_and_a_comment_before_its_post_is_kept(feeds):
    feeds.deliver(comment("p1", "c0"))
    feeds.deliver(published("p1", topics=["bowls"]))
    feeds.deliver(comment("p1", "c1"), comment("p1", "c1"), comment("p1", "c2"))
    feeds.deliver(comment("p1", "c2"))

    assert feeds.item(**card_key("p1"))["comment_count"] == 3
    assert feeds.item(**topic_entry_key("bowls", at(0), "p1"))["comment_count"] == 3


def test_a_post_in_review_comes_back_when_approved_not_when_its_old_publish_is_redelivered(feeds):
    original = published("p1", topics=["bowls"], minute=0)
    feeds.deliver(original, comment("p1", "c1"))
    feeds.deliver(hidden("PostInReview", "p1", minute=5))
    assert (
        feeds.ids("reader-1", kind="new") == [] and feeds.item(**topic_count_key("bowls"))["post_count"] == 0
    )

    feeds.deliver(original)
    assert feeds.ids("reader-1", kind="new") == []

    approved = published("p1", topics=["bowls"], minute=0)
    approved["detail"]["occurred_at"] = at(30)
    feeds.deliver(approved)
    assert feeds.ids("reader-1", topic="bowls") == ["p1"]
    assert feeds.item(**card_key("p1"))["comment_count"] == 1
    assert feeds.item(**topic_count_key("bowls"))["post_count"] == 1
    assert feeds.item(**reader_key("author-1"))["topic:bowls"] == 1
    # The review that preceded the approval, redelivered late, does not hide it again.
    feeds.deliver(hidden("PostInReview", "p1", minute=5))
    assert feeds.ids("reader-1", kind="new") == ["p1"]


def test_a_post_reviewed_before_its_first_publish_enters_the_feeds_when_approved(feeds):
    feeds.deliver(hidden("PostInReview", "p1", minute=1))
    assert feeds.item(**card_key("p1"))["state"] == "hidden"

    approved = published("p1", topics=["bowls"], minute=10)
    feeds.deliver(approved, approved)

    assert feeds.ids("reader-1", topic="bowls") == ["p1"]
    assert feeds.item(**reader_key("author-1"))["topic:bowls"] == 1


def test_a_removal_that_overtakes_its_publish_keeps_the_post_out(feeds):
    feeds.deliver(hidden("PostRemoved", "p1", minute=5))
    feeds.deliver(published("p1", topics=["bowls"], minute=0))

    assert feeds.ids("reader-1", kind="new") == []
    assert feeds.item(**card_key("p1"))["state"] == "removed"
    assert feeds.item(**topic_count_key("bowls")) is None


def test_a_removal_is_final_and_applied_once(feeds):
    feeds.deliver(published("p1", topics=["bowls"]), published("p2", topics=["bowls"], minute=1))
    removal = hidden("PostRemoved", "p1", minute=5)
    feeds.deliver(removal, removal)
    feeds.deliver(published("p1", topics=["bowls"], minute=10))

    assert feeds.item(**topic_count_key("bowls"))["post_count"] == 1
    assert feeds.item(**topic_entry_key("bowls", at(0), "p1")) is None
    assert feeds.ids("reader-1", topic="bowls") == ["p2"]


def test_a_scan_teaches_the_reader_its_tags_once_and_for_you_puts_matching_posts_first(feeds):
    scan = event(
        "ScanClaimed",
        source="earnloop.codes",
        scan_id="s1",
        code="B.1.X",
        batch_id="B",
        serial=1,
        user_id="reader-1",
        points=50,
        sku="YOG-PEACH",
        product_name="Peach yogurt",
        tags=["peach", "yogurt"],
        claimed_at=at(-60),
    )
    feeds.deliver(scan, scan)
    assert feeds.item(**reader_key("reader-1"))["tag:peach"] == 1
    # Same age and counts: hot order is by post id; the peach post matches reader-1's tags.
    feeds.deliver(
        published("p1", minute=0, topics=["bowls"]),
        published("p2", minute=0, topics=["bowls"], sku="YOG-PEACH"),
        published("p3", minute=0, topics=["bowls"]),
    )
    feeds.rank(T0 + timedelta(hours=1))
    hot = feeds.ids("reader-1", kind="hot")

    assert feeds.ids("reader-1", kind="for_you") == ["p2", *(p for p in hot if p != "p2")]
    assert feeds.ids("reader-2", kind="for_you") == hot
