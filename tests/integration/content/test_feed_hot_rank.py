"""The hot schedule on its scheduled sample, at chosen moments: the hot set ordered by the gravity
formula, re-ordered as time passes, bounded by its window, and a run with nothing new moves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from earnloop.content import feed_rules
from earnloop.content.feed_keys import card_key
from earnloop.platform.clock import parse_iso

from tests.integration.content.feed_harness import T0, Feeds, at, comment, hidden, published
from tests.support.lambdas import invoke, load


@pytest.fixture
def feeds(moto_cloud) -> Feeds:
    return Feeds(moto_cloud)


def expected_order(feeds: Feeds, post_ids: list[str], now) -> list[str]:
    """The posts by the formula, computed here from their cards (counts, quality, publish time)."""

    def score(post_id: str) -> float:
        card = feeds.item(**card_key(post_id))
        return feed_rules.hot_score(
            likes=card["like_count"],
            comments=card["comment_count"],
            shares=card["share_count"],
            quality=card["quality"],
            published_at=parse_iso(card["published_at"]),
            now=now,
        )

    return sorted(post_ids, key=score, reverse=True)


def test_hot_is_ordered_by_the_formula_and_time_lets_new_posts_overtake(feeds):
    # An older post with comments, a fresh plain one, a fresh well-made one.
    feeds.deliver(
        published("old", minute=0),
        published("plain", minute=170),
        published(
            "made", minute=170, topics=["bowls"], text="a" * 140, media=[{"media_id": "m", "kind": "video"}]
        ),
    )
    feeds.deliver(*(comment("old", f"c{i}") for i in range(10)))
    feeds.deliver(*(comment("old", f"c{i}") for i in range(10, 20)))

    three_hours = T0 + timedelta(hours=3)
    assert feeds.rank(three_hours)["ranked"] == 3
    first = feeds.ids("reader-1", kind="hot")
    assert first == expected_order(feeds, ["old", "plain", "made"], three_hours) == ["old", "made", "plain"]

    # A day on, a fresh post with two comments beats the old one's twenty.
    feeds.deliver(published("fresh", minute=60 * 27 - 10), comment("fresh", "f1"), comment("fresh", "f2"))
    a_day_later = T0 + timedelta(hours=27)
    feeds.rank(a_day_later)
    later = feeds.ids("reader-1", kind="hot")
    assert later == expected_order(feeds, [*first, "fresh"], a_day_later) == ["fresh", "old", "made", "plain"]


def test_posts_outside_the_window_leave_the_hot_set_and_a_quiet_run_moves_nothing(feeds):
    feeds.deliver(published("early", minute=0), published("later", minute=60 * 24))
    assert feeds.rank(T0 + timedelta(hours=25)) == {"candidates": 2, "ranked": 2, "moved": 2, "dropped": 0}

    beyond = T0 + timedelta(hours=feed_rules.HOT_WINDOW_HOURS, minutes=1)
    assert feeds.rank(beyond) == {"candidates": 1, "ranked": 1, "moved": 1, "dropped": 1}
    assert feeds.ids("reader-1", kind="hot") == ["later"]
    assert feeds.rank(beyond)["moved"] == 0


def test_the_sample_run_ranks_as_of_its_own_time(feeds):
    feeds.deliver(published("p1", minute=0))
    assert invoke("feed_hot_rank", load("scheduled/feed_hot_rank.json"))["ranked"] == 0
    assert feeds.rank(parse_iso(at(1)))["ranked"] == 1


def test_a_new_post_is_in_hot_at_once_with_its_newborn_score_until_the_next_run(feeds):
    feeds.deliver(published("plain", minute=0), published("made", minute=0, text="a" * 140, topics=["bowls"]))

    # No run yet: both entered hot when published, the better-made first.
    assert feeds.ids("reader-1", kind="hot") == ["made", "plain"]
    feeds.deliver(hidden("PostInReview", "made", minute=1))
    assert feeds.ids("reader-1", kind="hot") == ["plain"]
