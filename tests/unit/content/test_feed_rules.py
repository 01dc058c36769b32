"""The feeds' pure rules: the hot formula, its sort keys, topic names, for_you's order; and cursors
bound to their reader and feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from earnloop.content import feed_rules
from earnloop.content.feed_cursor import CursorSigner
from earnloop.platform.errors import ValidationFailedError

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def score(
    hours_old: float, likes: int = 0, comments: int = 0, shares: int = 0, quality: float = 0.0
) -> float:
    return feed_rules.hot_score(
        likes=likes,
        comments=comments,
        shares=shares,
        quality=quality,
        published_at=NOW - timedelta(hours=hours_old),
        now=NOW,
    )


def test_the_hot_formula_weighs_engagement_and_quality_against_age():
    # (1 + likes + 3 comments + 5 shares + 10 quality) / (age + 2) ** 1.5
    assert score(2, likes=4, comments=1, shares=1, quality=0.5) == pytest.approx((1 + 4 + 3 + 5 + 5) / 8)
    assert score(0) == pytest.approx(1 / 2**1.5)
    assert score(-1) == score(0)  # a clock ahead of ours counts as brand new
    assert score(1, comments=1) > score(1, likes=2) and score(1, shares=1) > score(1, comments=1)
    assert score(10, likes=100) < score(1, likes=100)


def test_quality_is_read_from_what_was_published():
    assert feed_rules.quality("", 0, False, 0) == 0
    assert feed_rules.quality("x" * 500, 9, False, 2) == 1.0
    assert feed_rules.quality("x" * 70, 1, False, 0) == pytest.approx(0.5 / 3 + 0.15, abs=1e-4)
    assert feed_rules.quality("", 1, True, 1) == 0.7


def test_score_keys_sort_as_their_scores():
    scores = [0.0, 1e-7, 0.004, 0.31, 2.5, 17.0, 1234.5]
    keys = [feed_rules.score_key(s, "p") for s in scores]
    assert keys == sorted(keys) and len({len(k) for k in keys}) == 1


def test_topic_names_are_normalized():
    assert feed_rules.normal_topic("  #Breakfast ") == "breakfast"
    assert feed_rules.normal_topic("早餐") == "早餐"
    assert feed_rules.normal_topic("\uff22\uff2f\uff37\uff2c\uff33") == "bowls"  # full-width
    assert feed_rules.normal_topic("#") == ""


def test_for_you_lifts_what_the_reader_likes_and_falls_back_to_hot():
    scored = [("a", 3.0, 0.0), ("b", 2.0, 1.0), ("c", 1.0, 0.0)]
    assert feed_rules.for_you_order(scored) == ["b", "a", "c"]
    assert feed_rules.for_you_order([(p, s, 0.0) for p, s, _ in scored]) == ["a", "b", "c"]
    assert feed_rules.affinity(["bowls"], ["peach"], {"bowls": 1, "tea": 3}, {"peach": 2}) == 0.25 + 1.0
    assert feed_rules.affinity(["bowls"], [], {}, {}) == 0


SIGNER = CursorSigner(b"k" * 32)
KEY = {"pk": "FEEDTOPIC#bowls", "sk": "2026-12-02T09:00:00.000Z#p1"}


def test_a_cursor_round_trips_for_its_reader_and_feed_only():
    cursor = SIGNER.encode("r1", "topic:bowls", KEY)
    assert cursor is not None and "bowls" not in cursor.split(".")[1]
    assert SIGNER.decode(cursor, "r1", "topic:bowls", ("pk", "sk")) == KEY
    assert SIGNER.encode("r1", "new", None) is None and SIGNER.decode(None, "r1", "new", ()) is None
    for reader, feed in (("r2", "topic:bowls"), ("r1", "topic:tea"), ("r1", "new")):
        with pytest.raises(ValidationFailedError):
            SIGNER.decode(cursor, reader, feed, ("pk", "sk"))


def test_a_cursor_signed_with_another_key_or_altered_is_refused():
    cursor = SIGNER.encode("r1", "new", KEY)
    assert cursor is not None
    forged = CursorSigner(b"x" * 32).encode("r1", "new", KEY)
    payload, mac = cursor.split(".")
    for bad in (forged, f"{payload}A.{mac}", f"{payload}.", "", "a.b", "..", "€.€"):
        with pytest.raises(ValidationFailedError):
            SIGNER.decode(bad, "r1", "new", ("pk", "sk"))
    with pytest.raises(ValidationFailedError):
        SIGNER.decode(cursor, "r1", "new", ("pk", "sk", "new_pk", "new_sk"))
