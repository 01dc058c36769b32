"""`for_you` by lifecycle segment: identity's `SegmentChanged` reaches the feed worker; a reader
drifting away (at risk, sleeping) gets the hot order, a new reader the brand's onboarding topics
first, everyone else their own interests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from earnloop.content.feed_keys import reader_key
from earnloop.platform.settings import get_settings

from tests.integration.content.feed_harness import T0, Feeds, at, event, published


@pytest.fixture
def feeds(moto_cloud, monkeypatch) -> Feeds:
    monkeypatch.setenv("EARNLOOP_ONBOARDING_TOPICS", '["Welcome"]')
    get_settings.cache_clear()
    return Feeds(moto_cloud)


def segment(user_id: str, to: str, minute: float) -> dict:
    return event(
        "SegmentChanged", source="earnloop.identity", user_id=user_id, to_segment=to, changed_at=at(minute)
    )


def test_for_you_follows_the_readers_segment(feeds):
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
        tags=["peach"],
        claimed_at=at(-60),
    )
    feeds.deliver(scan)
    # Same age and counts: the hot order is by post id.
    feeds.deliver(
        published("p1", minute=0, topics=["bowls"]),
        published("p2", minute=0, topics=["bowls"], sku="YOG-PEACH"),
        published("p3", minute=0, topics=["welcome"]),
    )
    feeds.rank(T0 + timedelta(hours=1))
    hot = feeds.ids("reader-1", kind="hot")
    assert feeds.ids("reader-1", kind="for_you") == ["p2", *(p for p in hot if p != "p2")]

    # Asleep: the hot order; an older change arriving late (or a redelivery) changes nothing.
    feeds.deliver(segment("reader-1", "sleeping", 10), segment("reader-1", "active", 5))
    feeds.deliver(segment("reader-1", "sleeping", 10))
    assert feeds.item(**reader_key("reader-1"))["segment"] == "sleeping"
    assert feeds.ids("reader-1", kind="for_you") == hot
    # Woken up: their interests again.
    feeds.deliver(segment("reader-1", "active", 20))
    assert feeds.ids("reader-1", kind="for_you")[0] == "p2"

    # New: the onboarding topic first; a reader in no segment yet keeps the hot order.
    feeds.deliver(segment("reader-3", "new", 0))
    assert feeds.ids("reader-3", kind="for_you") == ["p3", *(p for p in hot if p != "p3")]
    assert feeds.ids("reader-4", kind="for_you") == hot
