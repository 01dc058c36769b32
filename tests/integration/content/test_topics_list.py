"""GET /v1/topics through its function: topics by their count of live posts, most first, counts
kept by the feed materializer once per post however often its events arrive."""

from __future__ import annotations

import pytest

from tests.integration.content.feed_harness import Feeds, hidden, published
from tests.support.lambdas import assert_problem, call_http


@pytest.fixture
def feeds(moto_cloud) -> Feeds:
    return Feeds(moto_cloud)


def test_topics_are_listed_by_post_count_and_follow_removals(feeds):
    feeds.deliver(
        published("p1", topics=["bowls", "Breakfast"]),
        published("p2", topics=["breakfast"], minute=1),
        published("p3", topics=["breakfast", "smoothies"], minute=2),
        published("p4", topics=["smoothies"], minute=3),
    )
    feeds.deliver(published("p3", topics=["breakfast", "smoothies"], minute=2))

    answer = feeds.topics()
    assert answer.status == 200
    assert answer.json == {
        "topics": [
            {"name": "breakfast", "post_count": 3},
            {"name": "smoothies", "post_count": 2},
            {"name": "bowls", "post_count": 1},
        ]
    }

    feeds.deliver(hidden("PostRemoved", "p1", minute=9), hidden("PostInReview", "p4", minute=9))

    assert feeds.topics().json == {
        "topics": [{"name": "breakfast", "post_count": 2}, {"name": "smoothies", "post_count": 1}]
    }
    assert feeds.topics(limit="1").json == {"topics": [{"name": "breakfast", "post_count": 2}]}


def test_topics_need_a_token_and_a_sane_limit(feeds):
    assert feeds.topics().json == {"topics": []}
    assert_problem(call_http("topics_list"), 401, "unauthenticated")
    assert_problem(feeds.topics(limit="101"), 422, "validation_error")
