"""Pure rules of the feeds: the hot score, a post's quality, a reader's affinity, topic names.

No boto3, no clock: `now` is passed in, so a test chooses the moment a ranking is made.

The hot score is a gravity decay (docs/decisions.md, 2026-12-02 "Feeds"):

    engagement = 1 + likes + 3 * comments + 5 * shares + 10 * quality
    score      = engagement / (age_hours + 2) ** 1.5

A comment costs more effort than a like and a share brings new readers, so they weigh more; quality
(0..1, from what the post carries) gives a well-made post a head start that fades like the rest. The
`+ 2` keeps a brand-new post from dividing by almost nothing; the exponent 1.5 halves a post's
score in about its first 1.2 hours and keeps decaying, so yesterday's hit yields to today's.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime

GRAVITY = 1.5
AGE_OFFSET_HOURS = 2.0
LIKE_WEIGHT = 1
COMMENT_WEIGHT = 3
SHARE_WEIGHT = 5
QUALITY_WEIGHT = 10

# The schedule ranks posts published within this window, at most this many, newest first (a query
# of the `new` index, never a scan), and materializes the best HOT_SIZE of them.
HOT_WINDOW_HOURS = 72
HOT_CANDIDATES = 1000
HOT_SIZE = 300

# Sort keys carry the score as a fixed-width integer of micro-points: text order is numeric order.
_SCORE_SCALE = 1_000_000
_SCORE_DIGITS = 20

TOPIC_MAX_CHARS = 30


def quality(text: str, media_count: int, has_video: bool, topic_count: int) -> float:
    """0..1: pictures (up to three) or a video count half, a text of some length (up to 140
    characters) 0.3, a topic 0.2. Read from what was published, never from the client's claims."""
    pictures = 0.5 if has_video else 0.5 * min(media_count, 3) / 3
    words = 0.3 * min(len(text.strip()), 140) / 140
    tagged = 0.2 if topic_count else 0.0
    return round(pictures + words + tagged, 4)


def hot_score(
    *, likes: int, comments: int, shares: int, quality: float, published_at: datetime, now: datetime
) -> float:
    """The gravity-decayed score above; a post from the future (clock skew) counts as brand new."""
    age_hours = max((now - published_at).total_seconds() / 3600, 0.0)
    engagement = (
        1
        + LIKE_WEIGHT * max(likes, 0)
        + COMMENT_WEIGHT * max(comments, 0)
        + SHARE_WEIGHT * max(shares, 0)
        + QUALITY_WEIGHT * quality
    )
    return float(engagement / math.pow(age_hours + AGE_OFFSET_HOURS, GRAVITY))


def score_key(score: float, post_id: str) -> str:
    """The hot index's sort key: the score as text that sorts numerically, then the post id."""
    scaled = min(max(round(score * _SCORE_SCALE), 0), 10**_SCORE_DIGITS - 1)
    return f"{scaled:0{_SCORE_DIGITS}d}#{post_id}"


def normal_topic(name: str) -> str:
    """A topic as the feeds key it: NFKC, no leading `#`, trimmed, case-folded.

    The posts area normalizes topics too; doing it again here is harmless (it is idempotent) and
    makes `?topic=#Breakfast` find `breakfast`.
    """
    return unicodedata.normalize("NFKC", name).strip().lstrip("#").strip().casefold()


def affinity(
    post_topics: Sequence[str],
    post_tags: Sequence[str],
    reader_topics: Mapping[str, int],
    reader_tags: Mapping[str, int],
) -> float:
    """How much a post matches a reader, 0..2: the share of the reader's topic interest that the
    post's topics hold, plus the share of their product-tag interest that its tags hold."""

    def share(names: Sequence[str], weights: Mapping[str, int]) -> float:
        total = sum(w for w in weights.values() if w > 0)
        if total == 0:
            return 0.0
        return sum(max(weights.get(name, 0), 0) for name in set(names)) / total

    return share(post_topics, reader_topics) + share(post_tags, reader_tags)


FOR_YOU_BOOST = 2.0


def for_you_order(
    scored: Sequence[tuple[str, float, float]],
) -> list[str]:
    """Post ids of one hot page in the reader's order: `(post_id, hot_score, affinity)` each, by
    `hot_score * (1 + FOR_YOU_BOOST * affinity)`, ties kept in hot order. With no interests every
    affinity is 0 and this is the hot order itself: the fallback."""
    ranked = sorted(
        enumerate(scored), key=lambda pair: (-pair[1][1] * (1 + FOR_YOU_BOOST * pair[1][2]), pair[0])
    )
    return [entry[0] for _, entry in ranked]
