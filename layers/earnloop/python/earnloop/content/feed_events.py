"""The events the feed materializer consumes, as it reads them: only the fields it needs.

The posts area owns these events (common contract: `PostPublished`, `PostRemoved`, `PostTakenDown`,
`PostInReview`, `PostRejected`, `CommentAdded`; issue 9 adds `PostLiked`/`PostUnliked`). The feeds
read them with their own small models, like every consumer, so a field the posts area adds changes
nothing here and the two areas can be built at the same time.

`occurred_at` is the commit time of the write the event was derived from (the stream publisher adds
it to every detail); it orders a post's visibility changes (feed_store: `FeedCard.changed_at`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from earnloop.platform.events import DomainEvent


class _Consumed(DomainEvent):
    # Read here, never emitted from here: the posts area's deriver emits them.
    source = "earnloop.content"
    detail_type = "consumed"

    event_id: str | None = None
    occurred_at: str | None = None


class Author(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str | None = None
    nickname: str | None = None
    avatar_url: str | None = None


class PostPublished(_Consumed):
    post_id: str = Field(min_length=1, max_length=64)
    author_id: str = Field(min_length=1, max_length=64)
    topics: list[str] = Field(default_factory=list, max_length=5)
    sku: str | None = None
    text: str = Field(default="", max_length=4000)
    media: list[dict[str, Any]] = Field(default_factory=list, max_length=9)
    created_at: str
    published_at: str
    # The author as the post shows them, when the event carries it (a snapshot; `AUTHOR#` items
    # learned from profile changes take precedence on a page).
    author: Author | None = None


class PostHidden(_Consumed):
    """`PostRemoved`, `PostTakenDown`, `PostInReview`, `PostRejected`: the post leaves every feed."""

    post_id: str = Field(min_length=1, max_length=64)
    author_id: str | None = None


class CommentAdded(_Consumed):
    post_id: str = Field(min_length=1, max_length=64)
    comment_id: str = Field(min_length=1, max_length=64)
    author_id: str | None = None


class ProfileChanged(_Consumed):
    """From identity: the nickname or avatar every post of this author shows."""

    user_id: str = Field(min_length=1, max_length=64)
    nickname: str | None = None
    avatar_url: str | None = None
    updated_at: str
