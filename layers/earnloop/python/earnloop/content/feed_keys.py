"""The keys of the feeds' items in the content table, and where each feed's pages come from.

Items (docs/decisions.md, 2026-12-02 "Feeds"):
- `FEEDPOST#<post>`/`CARD`: a post's card (text, media, topics, counts, state). While the post is
  live it carries `new_pk`/`new_sk` (index `feed_new`: every live post, newest first) and, while the
  hot schedule ranks it, `hot_pk`/`hot_sk` (index `feed_hot`: the materialized hot set, best first).
- `FEEDPOST#<post>`/`COUNTED#<ref>`: one per counted event (a comment, later a like): a redelivered
  event finds it and counts nothing. Kept 30 days (TTL): longer than SQS and its DLQ keep a message.
- `FEEDTOPIC#<topic>`/`<published_at>#<post>`: a copy of the card per topic (a post has up to 5).
- `FEEDFOLLOW#<reader>`/`<published_at>#<post>`: the reader's follow inbox, fanned out on publish
  from `FOLLOWERS#<author>`/`FOLLOWER#<reader>` (written from issue 9's follow events; empty today).
- `TOPIC#<topic>`/`COUNT`: a topic's post count (index `topics_by_count`).
- `READER#<user>`/`INTERESTS`: `topic:<name>` and `tag:<name>` weights (for `for_you`), with
  `SEEN#<ref>` guards beside it; `FEEDSKU#<sku>`/`TAGS`: a product's tags, from ScanClaimed.
- `AUTHOR#<user>`/`PROFILE`: nickname and avatar, shown on every post of the author.
- `LIKES#<post>#<shard>`/`LIKE#<user>`: a like (content/likes_store.py); a page reads the
  reader's with one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from earnloop.content import likes_store

CARD_ENTITY = "FeedCard"
ENTRY_ENTITY = "FeedEntry"
NEW_INDEX = "feed_new"
HOT_INDEX = "feed_hot"
TOPICS_INDEX = "topics_by_count"
# The one partition of each index: a single sorted partition is enough at posting rates (decisions).
NEW_PARTITION = "new"
HOT_PARTITION = "hot"
TOPICS_PARTITION = "topics"
GUARD_DAYS = 30
BATCH_GET_MAX = 100


# Card fields copied to every topic and follow entry: what a page shows.
SHOWN = (
    "post_id",
    "author_id",
    "author_nickname",
    "author_avatar_url",
    "text",
    "media",
    "topics",
    "tags",
    "sku",
    "created_at",
    "published_at",
    "like_count",
    "comment_count",
    "share_count",
    "quality",
)
COUNTERS = ("like_count", "comment_count", "share_count")


def card_key(post_id: str) -> dict[str, str]:
    return {"pk": f"FEEDPOST#{post_id}", "sk": "CARD"}


def counted_key(post_id: str, ref: str) -> dict[str, str]:
    return {"pk": f"FEEDPOST#{post_id}", "sk": f"COUNTED#{ref}"}


def order_key(published_at: str, post_id: str) -> str:
    """Newest-first order within a partition: ISO times sort as text; the post id breaks ties."""
    return f"{published_at}#{post_id}"


def topic_entry_key(topic: str, published_at: str, post_id: str) -> dict[str, str]:
    return {"pk": f"FEEDTOPIC#{topic}", "sk": order_key(published_at, post_id)}


def follow_entry_key(reader_id: str, published_at: str, post_id: str) -> dict[str, str]:
    return {"pk": f"FEEDFOLLOW#{reader_id}", "sk": order_key(published_at, post_id)}


def followers_partition(author_id: str) -> str:
    return f"FOLLOWERS#{author_id}"


def follower_key(author_id: str, reader_id: str) -> dict[str, str]:
    return {"pk": followers_partition(author_id), "sk": f"FOLLOWER#{reader_id}"}


def topic_count_key(topic: str) -> dict[str, str]:
    return {"pk": f"TOPIC#{topic}", "sk": "COUNT"}


def reader_key(user_id: str) -> dict[str, str]:
    return {"pk": f"READER#{user_id}", "sk": "INTERESTS"}


def reader_seen_key(user_id: str, ref: str) -> dict[str, str]:
    return {"pk": f"READER#{user_id}", "sk": f"SEEN#{ref}"}


def sku_key(sku: str) -> dict[str, str]:
    return {"pk": f"FEEDSKU#{sku}", "sk": "TAGS"}


def author_key(user_id: str) -> dict[str, str]:
    return {"pk": f"AUTHOR#{user_id}", "sk": "PROFILE"}


def like_key(post_id: str, user_id: str) -> dict[str, str]:
    # The likes area's key (sharded by liker: content/likes_store.py); `liked` says if it is one now.
    return likes_store.like_key(post_id, user_id)


@dataclass(frozen=True)
class FeedQuery:
    """Where one feed's pages come from: a partition of the table or of one of its indexes."""

    partition: str
    index: str | None = None

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes of a LastEvaluatedKey of this query (what a cursor carries)."""
        if self.index == NEW_INDEX:
            return ("pk", "sk", "new_pk", "new_sk")
        if self.index == HOT_INDEX:
            return ("pk", "sk", "hot_pk", "hot_sk")
        return ("pk", "sk")


NEW_FEED = FeedQuery(NEW_PARTITION, NEW_INDEX)
HOT_FEED = FeedQuery(HOT_PARTITION, HOT_INDEX)


def topic_feed(topic: str) -> FeedQuery:
    return FeedQuery(f"FEEDTOPIC#{topic}")


def following_feed(reader_id: str) -> FeedQuery:
    return FeedQuery(f"FEEDFOLLOW#{reader_id}")


def pk_attribute(query: FeedQuery) -> str:
    return {NEW_INDEX: "new_pk", HOT_INDEX: "hot_pk"}.get(query.index or "", "pk")
