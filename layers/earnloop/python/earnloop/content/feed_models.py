"""Shapes of the feeds: the stored card of a post, what a reader is shown, topics."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FeedKind = Literal["hot", "new", "following", "for_you"]
# live: in the feeds; hidden: in review (may come back); removed: deleted, rejected or taken down.
CardState = Literal["live", "hidden", "removed"]


class FeedCard(BaseModel):
    """Everything a feed shows of one post, copied from its events, plus its counts.

    `version` grows with every write of the feed worker, so a write that read an older card fails
    its condition and is retried instead of losing a count or resurrecting a hidden post.
    """

    model_config = ConfigDict(extra="ignore")

    post_id: str
    author_id: str | None = None
    author_nickname: str | None = None
    author_avatar_url: str | None = None
    text: str = ""
    media: list[dict[str, Any]] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    # Product tags of the post's SKU (learned from ScanClaimed): what `for_you` matches readers on.
    tags: list[str] = Field(default_factory=list)
    sku: str | None = None
    created_at: str | None = None
    published_at: str | None = None
    like_count: int = 0
    comment_count: int = 0
    share_count: int = 0
    quality: float = 0.0
    # None: only counts arrived so far (a comment's event overtook the post's).
    state: CardState | None = None
    version: int = 0
    # occurred_at of the last visibility change applied (PostPublished or a hiding event).
    changed_at: str = ""
    # The hot index's sort key while the post is in the materialized hot set.
    hot_sk: str | None = None


class AuthorPublic(BaseModel):
    id: str
    nickname: str | None = None
    avatar_url: str | None = None


class FeedPost(BaseModel):
    """A post in a feed, in API.md's post shape (feeds show published posts only)."""

    post_id: str
    author: AuthorPublic
    text: str
    media: list[dict[str, Any]]
    topics: list[str]
    sku: str | None = None
    status: Literal["published"] = "published"
    like_count: int
    comment_count: int
    liked_by_me: bool
    created_at: str | None = None


class FeedPage(BaseModel):
    items: list[FeedPost]
    next_cursor: str | None = Field(default=None, description="Absent on the last page")


class TopicPublic(BaseModel):
    name: str
    post_count: int


class TopicsPage(BaseModel):
    topics: list[TopicPublic]


class ReaderInterests(BaseModel):
    """What `for_you` knows of a reader: topic and product-tag weights, learned by the feed worker."""

    topics: dict[str, int] = Field(default_factory=dict)
    tags: dict[str, int] = Field(default_factory=dict)
    # The reader's lifecycle segment, from identity (content/feed_segments.py).
    segment: str | None = None
