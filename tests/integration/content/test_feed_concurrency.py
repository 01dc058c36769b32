"""Feed writes racing each other, from threads over the real store and service on moto: comments
counted while their post is published and then removed end up exact on the card, and nothing the
removal deleted comes back."""

from __future__ import annotations

from collections import Counter
from typing import Any

from earnloop.content import feed_service
from earnloop.content.feed_events import CommentAdded, PostHidden, PostPublished
from earnloop.content.feed_keys import card_key, follower_key, topic_count_key
from earnloop.content.feed_store import FeedStore, StaleCardError
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal

from tests.integration.content.feed_harness import T0, at
from tests.integration.points.test_points_concurrency import AtomicRequests, run_threads
from tests.support.lambdas import all_items, stored

THREADS = 3
COMMENTS_PER_THREAD = 4


def until_applied(write: Any, retries: Counter[str]) -> None:
    """Applies again while the card keeps changing under the write, as SQS redelivers a failure."""
    while True:
        try:
            write()
            return
        except StaleCardError:
            retries["redeliveries"] += 1


def test_comments_racing_a_publish_and_a_removal_are_each_counted_once(moto_cloud):
    table = moto_cloud.settings.table_name("content")
    store = FeedStore(AtomicRequests(aws.dynamodb()), table)  # type: ignore[arg-type]
    retries: Counter[str] = Counter()
    publish = PostPublished(
        post_id="p1",
        author_id="a1",
        topics=["bowls", "breakfast"],
        text="bowl",
        created_at=at(0),
        published_at=at(0),
        occurred_at=at(0),
    )
    removal = PostHidden(post_id="p1", author_id="a1", occurred_at=at(5))

    def commenter(thread: int) -> Any:
        def comment_all() -> None:
            for n in range(COMMENTS_PER_THREAD):
                event = CommentAdded(post_id="p1", comment_id=f"c{thread}-{n}")
                until_applied(lambda e=event: feed_service.count_comment(store, e, T0), retries)
                # A redelivery of the same comment, racing the rest.
                until_applied(lambda e=event: feed_service.count_comment(store, e, T0), retries)

        return comment_all

    run_threads(
        [
            lambda: until_applied(lambda: feed_service.publish(store, publish), retries),
            *(commenter(t) for t in range(THREADS)),
        ]
    )
    card = next(i for i in all_items(table) if (i["pk"], i["sk"]) == tuple(card_key("p1").values()))
    assert card["state"] == "live" and card["comment_count"] == THREADS * COMMENTS_PER_THREAD
    entries = [i for i in all_items(table) if i["pk"].startswith("FEEDTOPIC#")]
    assert [e["comment_count"] for e in entries] == [THREADS * COMMENTS_PER_THREAD] * 2

    run_threads(
        [
            lambda: until_applied(lambda: feed_service.hide(store, removal, "removed"), retries),
            *(commenter(t + THREADS) for t in range(THREADS)),
        ]
    )
    items = all_items(table)
    card = next(i for i in items if (i["pk"], i["sk"]) == tuple(card_key("p1").values()))
    assert card["state"] == "removed" and card["comment_count"] == 2 * THREADS * COMMENTS_PER_THREAD
    assert [i for i in items if i["pk"].startswith("FEEDTOPIC#")] == []
    assert [stored(table, topic_count_key(t))["post_count"] for t in ("bowls", "breakfast")] == [0, 0]


def test_a_removal_between_a_publish_and_its_fan_out_leaves_no_copy_in_a_follow_inbox(moto_cloud):
    table = moto_cloud.settings.table_name("content")
    store = FeedStore(aws.dynamodb(), table)
    removal = PostHidden(post_id="p1", author_id="a1", occurred_at=at(5))

    class RemovedMeanwhile(FeedStore):
        """Another worker removes the post (and clears the inboxes) just before this fan-out puts."""

        def fan_out(self, card: Any, readers: Any, *, remove: bool) -> None:
            if not remove:
                feed_service.hide(store, removal, "removed")
            super().fan_out(card, readers, remove=remove)

    aws.dynamodb().put_item(
        TableName=table, Item=marshal({**follower_key("a1", "reader-1"), "entity": "Follower"})
    )
    publish = PostPublished(
        post_id="p1", author_id="a1", created_at=at(0), published_at=at(0), occurred_at=at(0)
    )

    feed_service.publish(RemovedMeanwhile(aws.dynamodb(), table), publish)

    assert [i for i in all_items(table) if i["pk"].startswith("FEEDFOLLOW#")] == []
