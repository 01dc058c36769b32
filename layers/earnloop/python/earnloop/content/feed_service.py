"""Use cases of the feeds: materializing posts into feeds, re-ranking hot, reading a page.

Every write of the materializer reads the post's card, then commits one transaction conditioned on
the card's version; when another write got there first it reads again and retries (a few times,
then the message goes back to the queue). Redelivered events change nothing: a publish finds the
card live, a hide finds it hidden, a count finds its `COUNTED#` guard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from earnloop.content import feed_rules
from earnloop.content.feed_keys import (
    HOT_FEED,
    NEW_FEED,
    FeedQuery,
    author_key,
    following_feed,
    like_key,
    reader_key,
    topic_feed,
)
from earnloop.content.feed_models import (
    AuthorPublic,
    CardState,
    FeedCard,
    FeedKind,
    FeedPage,
    FeedPost,
    TopicPublic,
)
from earnloop.content.feed_reads import interests_of
from earnloop.content.feed_segments import ranking_interests
from earnloop.content.feed_store import AlreadyCountedError, StaleCardError
from earnloop.content.likes_store import is_liked
from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.errors import ValidationFailedError
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from earnloop.codes.events import ScanClaimed
    from earnloop.content.feed_cursor import CursorSigner
    from earnloop.content.feed_events import CommentAdded, PostHidden, PostPublished
    from earnloop.content.feed_ranking import HotRanking
    from earnloop.content.feed_reads import FeedReads
    from earnloop.content.feed_store import FeedStore

_ATTEMPTS = 4
# Per-reader data of a page fits one BatchGetItem (100 keys): a like and an author per post, and
# the reader's interests. So a feed page shows at most this many posts, whatever `limit` asks.
MAX_PAGE = 40

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """What `GET /v1/feed` asks for."""

    kind: FeedKind
    topic: str | None = None
    limit: int = 20
    cursor: str | None = None


def _retrying(write: Callable[[], T]) -> T:
    for attempt in range(_ATTEMPTS):
        try:
            return write()
        except StaleCardError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# The materializer


def publish(store: FeedStore, event: PostPublished) -> None:
    """A published post enters `new`, its topics' feeds and its author's followers' inboxes."""
    topics = list(dict.fromkeys(t for t in map(feed_rules.normal_topic, event.topics) if t))[:5]
    changed_at = event.occurred_at or ""

    def write() -> FeedCard | None:
        before = store.card(event.post_id)
        if before is not None and before.state == "removed":
            return None
        if before is not None and before.state == "live":
            return None
        if before is not None and before.state == "hidden" and not changed_at > before.changed_at:
            # A redelivered publish older than the hide that followed it.
            return None
        has_video = any(m.get("kind") == "video" for m in event.media)
        card = FeedCard(
            post_id=event.post_id,
            author_id=event.author_id,
            author_nickname=event.author.nickname if event.author else None,
            author_avatar_url=event.author.avatar_url if event.author else None,
            text=event.text,
            media=event.media,
            topics=topics,
            tags=store.sku_tags(event.sku) if event.sku else [],
            sku=event.sku,
            created_at=event.created_at,
            published_at=event.published_at,
            like_count=before.like_count if before else 0,
            comment_count=before.comment_count if before else 0,
            share_count=before.share_count if before else 0,
            quality=feed_rules.quality(event.text, len(event.media), has_video, len(topics)),
            state="live",
            version=(before.version if before else 0) + 1,
            changed_at=max(changed_at, before.changed_at if before else ""),
        )
        # In hot at once with its newborn score; the next re-rank places it among the rest. The
        # author's topics count once: on the first publish (a tombstone or counts-only card has none).
        card.hot_sk = feed_rules.score_key(_score(card, parse_iso(event.published_at)), card.post_id)
        store.publish(before, card, learn_author=before is None or before.published_at is None)
        return card

    card = _retrying(write)
    if card is not None and card.author_id:
        followers = store.followers(card.author_id)
        store.fan_out(card, followers, remove=False)
        # A hide committed since our publish may have cleared the inboxes before we filled them:
        # look once more and take the copies back. (A hide committed after this look clears them
        # itself, after its own commit.)
        latest = store.card(card.post_id) if followers else card
        if latest is None or latest.state != "live":
            store.fan_out(card, followers, remove=True)
        logger.info("post in feeds", extra={"post_id": card.post_id, "topics": len(card.topics)})


def hide(store: FeedStore, event: PostHidden, state: CardState) -> None:
    """A post removed, taken down, rejected (state `removed`, final) or in review (`hidden`, until
    it is published again) leaves every feed. Arriving before its publish, it leaves a tombstone
    that the late publish respects."""
    changed_at = event.occurred_at or ""

    def write() -> FeedCard | None:
        before = store.card(event.post_id) or FeedCard(post_id=event.post_id, author_id=event.author_id)
        if before.state == "removed" or (before.state == state == "hidden"):
            return None
        if state == "hidden" and changed_at < before.changed_at:
            # A hide older than the publish that followed it (an approval after review).
            return None
        store.hide(before, state, max(changed_at, before.changed_at))
        return before

    before = _retrying(write)
    if before is not None and before.state == "live" and before.author_id:
        store.fan_out(before, store.followers(before.author_id), remove=True)


def count_comment(store: FeedStore, event: CommentAdded, now: datetime) -> None:
    """A comment adds one to its post's count on the card and every feed entry, once."""

    def write() -> None:
        before = store.card(event.post_id)
        store.count(
            before, event.post_id, f"comment#{event.comment_id}", {"comment_count": 1}, now.timestamp()
        )

    try:
        _retrying(write)
    except AlreadyCountedError:
        logger.info("comment counted before", extra={"post_id": event.post_id})


def learn_scan(store: FeedStore, event: ScanClaimed, now: datetime) -> None:
    """A scan tells what its scanner likes (product tags) and which tags its SKU carries."""
    try:
        store.learn_scan(event.user_id, f"scan#{event.scan_id}", event.sku, event.tags, now.timestamp())
    except AlreadyCountedError:
        logger.info("scan learned before", extra={"scan_id": event.scan_id})


# The hot schedule


def rerank_hot(store: HotRanking, now: datetime) -> dict[str, int]:
    """Scores the live posts of the HOT_WINDOW_HOURS before `now` (at most HOT_CANDIDATES, from the `new`
    index) and makes the best HOT_SIZE the hot set: posts whose key changed are moved, posts that
    fell out are taken out. Writes grow with the changes, reads with the window, never the table."""
    since = iso(now - timedelta(hours=feed_rules.HOT_WINDOW_HOURS))
    scored = [
        (_score(card, now), card.post_id)
        for card in store.recent(since, iso(now), feed_rules.HOT_CANDIDATES)
        if card.published_at is not None
    ]
    scored.sort(reverse=True)
    wanted = {
        post_id: feed_rules.score_key(score, post_id) for score, post_id in scored[: feed_rules.HOT_SIZE]
    }
    current = store.hot_set()
    moved = sum(
        1 for post_id, key in wanted.items() if current.get(post_id) != key and store.rank(post_id, key)
    )
    dropped = [post_id for post_id in current if post_id not in wanted]
    for post_id in dropped:
        store.unrank(post_id)
    logger.info("hot re-ranked", extra={"candidates": len(scored), "moved": moved, "dropped": len(dropped)})
    return {"candidates": len(scored), "ranked": len(wanted), "moved": moved, "dropped": len(dropped)}


def _score(card: FeedCard, now: datetime) -> float:
    return feed_rules.hot_score(
        likes=card.like_count,
        comments=card.comment_count,
        shares=card.share_count,
        quality=card.quality,
        published_at=parse_iso(card.published_at) if card.published_at else now,
        now=now,
    )


# The read side


def feed_source(kind: FeedKind, topic: str | None, reader_id: str) -> tuple[str, FeedQuery]:
    """The feed a request names (what its cursor is bound to) and where its pages come from.

    `topic=` gives that topic's posts, newest first, for `new` and `hot` alike (a topic's hot set
    is not materialized); with `following` or `for_you` it is refused.
    """
    if topic is not None:
        name = feed_rules.normal_topic(topic)
        if not name or len(name) > feed_rules.TOPIC_MAX_CHARS:
            raise ValidationFailedError("topic is not a topic name")
        if kind in ("following", "for_you"):
            raise ValidationFailedError(f"topic= does not combine with kind={kind}")
        return f"topic:{name}", topic_feed(name)
    if kind == "new":
        return "new", NEW_FEED
    if kind == "following":
        return "following", following_feed(reader_id)
    # for_you is the hot set in the reader's order (the page is re-ordered below).
    return kind, HOT_FEED


def read_page(
    store: FeedReads,
    signer: CursorSigner,
    reader_id: str,
    request: PageRequest,
    urls: Callable[[Mapping[str, str]], dict[str, str]],
    now: datetime,
) -> FeedPage:
    """One page of a feed: one Query for the posts, one BatchGetItem for what is the reader's own
    (their likes of these posts, the posts' authors, their interests for `for_you`). Rendition URLs
    are presigned without a request (`urls`).

    Raises:
        ValidationFailedError: a bad topic, or a cursor not issued for this reader and feed.
    """
    feed, query = feed_source(request.kind, request.topic, reader_id)
    start = signer.decode(request.cursor, reader_id, feed, query.key_attributes)
    cards, last_key = store.page(query, min(request.limit, MAX_PAGE), start)
    personal = request.kind == "for_you" and request.topic is None
    authors = sorted({c.author_id for c in cards if c.author_id})
    keys = [like_key(c.post_id, reader_id) for c in cards] + [author_key(a) for a in authors]
    if personal:
        keys.append(reader_key(reader_id))
    found = store.batch_get(keys)

    def at(key: Mapping[str, str]) -> dict[str, Any] | None:
        return found.get((key["pk"], key["sk"]))

    if personal:
        cards = _for_you(cards, at(reader_key(reader_id)), now)
    items = [
        _shown(
            card,
            at(author_key(card.author_id)) if card.author_id else None,
            is_liked(at(like_key(card.post_id, reader_id))),
            urls,
        )
        for card in cards
    ]
    return FeedPage(items=items, next_cursor=signer.encode(reader_id, feed, last_key))


def _shown(
    card: FeedCard,
    profile: Mapping[str, Any] | None,
    liked: bool,
    urls: Callable[[Mapping[str, str]], dict[str, str]],
) -> FeedPost:
    media = [
        {
            **{k: v for k, v in m.items() if k != "renditions"},
            "status": "ready",
            "urls": urls(m.get("renditions") or {}),
        }
        for m in card.media
    ]
    # A profile learned from identity wins over the snapshot the post was published with.
    nickname = profile.get("nickname") if profile else card.author_nickname
    avatar_url = profile.get("avatar_url") if profile else card.author_avatar_url
    return FeedPost(
        post_id=card.post_id,
        author=AuthorPublic(id=card.author_id or "", nickname=nickname, avatar_url=avatar_url),
        text=card.text,
        media=media,
        topics=card.topics,
        sku=card.sku,
        like_count=card.like_count,
        comment_count=card.comment_count,
        liked_by_me=liked,
        created_at=card.created_at,
    )


def _for_you(
    cards: list[FeedCard], interests_item: Mapping[str, Any] | None, now: datetime
) -> list[FeedCard]:
    interests = interests_of(interests_item)
    topics = ranking_interests(interests.segment, interests.topics)
    if topics is None:
        return cards  # the hot order itself
    scored = []
    for card in cards:
        hot = _score(card, now)
        match = feed_rules.affinity(card.topics, card.tags, topics, interests.tags)
        scored.append((card.post_id, hot, match))
    by_id = {card.post_id: card for card in cards}
    return [by_id[post_id] for post_id in feed_rules.for_you_order(scored)]


def list_topics(store: FeedReads, limit: int) -> list[TopicPublic]:
    return [TopicPublic(name=name, post_count=count) for name, count in store.topics(limit)]
