"""Likes: the events their items derive, and the arithmetic of a viral post (no clock, no table)."""

from __future__ import annotations

import random
from collections import Counter

from earnloop.content.likes_events import PostLiked, PostUnliked, derive_likes
from earnloop.content.likes_store import LIKE_SHARDS, count_key, like_key
from earnloop.platform.events import Change

LIKE = {"entity": "Like", "post_id": "P", "user_id": "bob", "post_author_id": "alice"}

# DynamoDB: a partition (and any one item) serves at most 1,000 write units and 3,000 read units a
# second; a transactional write of an item under 1 KB costs 2 write units; an eventually consistent
# read of an item under 4 KB costs 0.5 read units, a strongly consistent one 1.
PARTITION_WCU, PARTITION_RCU = 1000, 3000
TX_WCU_PER_ITEM = 2


def change(kind: str, old: dict | None, new: dict | None) -> Change:
    return Change(table="content", kind=kind, old=old, new=new)  # type: ignore[arg-type]


def test_a_like_a_take_back_and_a_like_again_are_three_events() -> None:
    liked = {**LIKE, "liked": True, "liked_at": "2026-12-02T09:00:00.000Z"}
    unliked = {**liked, "liked": False, "unliked_at": "2026-12-02T09:01:00.000Z"}
    again = {**LIKE, "liked": True, "liked_at": "2026-12-02T09:02:00.000Z"}

    assert derive_likes(change("INSERT", None, liked)) == [
        PostLiked(post_id="P", user_id="bob", post_author_id="alice", liked_at="2026-12-02T09:00:00.000Z")
    ]
    assert derive_likes(change("MODIFY", liked, unliked)) == [
        PostUnliked(post_id="P", user_id="bob", post_author_id="alice", unliked_at="2026-12-02T09:01:00.000Z")
    ]
    assert [type(e) for e in derive_likes(change("MODIFY", unliked, again))] == [PostLiked]
    # Counter items and deletions mean nothing to others.
    assert derive_likes(change("MODIFY", {"entity": "LikeCount"}, {"entity": "LikeCount"})) == []
    assert derive_likes(change("REMOVE", liked, None)) == []


def test_a_viral_posts_likes_stay_under_every_partitions_limits() -> None:
    """5,000 likes a second on one post from 20,000 distinct people: each like writes its item and
    its shard's counter (one partition, 2 x 2 WCU), reads the post once per container (cached) and
    answers with one read of every shard (0.5 RCU each; 1 RCU on its own shard)."""
    rate = 5000
    # Random user ids, the same every run (a seed: the test never flakes on an unlucky draw).
    rng = random.Random(9)
    likers = [f"{rng.getrandbits(128):032x}" for _ in range(20_000)]
    per_partition = Counter(like_key("P", u)["pk"] for u in likers)
    assert len(per_partition) == LIKE_SHARDS
    assert {count_key("P", s)["pk"] for s in range(LIKE_SHARDS)} == set(per_partition)

    busiest_share = max(per_partition.values()) / len(likers)
    # The like item and its counter in one transaction, plus the 1 WCU update that confirms the
    # like's outbox marker once its earn arrived (content/interactions_outbox.py).
    busiest_wcu = rate * busiest_share * (2 * TX_WCU_PER_ITEM + 1)
    counter_item_wcu = rate * busiest_share * TX_WCU_PER_ITEM
    # Every answer reads every shard's counter once: reads per shard do not shrink with more shards.
    shard_rcu = rate * 0.5 + rate * busiest_share * 1

    assert busiest_wcu < 0.9 * PARTITION_WCU, busiest_wcu
    assert counter_item_wcu < 0.4 * PARTITION_WCU
    assert shard_rcu < PARTITION_RCU, shard_rcu
    # Where it would end: a single counter would take 10x the limit.
    assert rate * TX_WCU_PER_ITEM > 10 * PARTITION_WCU - 1
