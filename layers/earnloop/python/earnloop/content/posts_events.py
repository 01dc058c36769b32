"""Events of the posts area, derived from committed changes of posts and comments, and the events
it consumes (read with its own small models, as every consumer does).

Emitted (source `earnloop.content`):
- `PostPublished` when a post becomes published (again after an admin approves it: consumers are
  idempotent per post);
- `PostInReview` when it goes to the admins (text or image review, or reports; `was_published`
  says it left the feeds);
- `PostRejected` when a post never published is rejected (moderation or an admin), with the
  reason the author is told;
- `PostTakenDown` instead when the rejected post had been published (with the reason): feeds drop
  it, the author is told once, its points are clawed back;
- `PostRemoved` when its author or an admin deletes it (`media_ids`: what the media area deletes);
- `CommentAdded` for each new comment.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from earnloop.platform.events import Change, DomainEvent
from earnloop.platform.outbox_sweep import PENDING_ENTITY, republished, was_swept


class PostPublished(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostPublished"

    post_id: str
    author_id: str
    topics: list[str]
    sku: str | None = None
    text: str
    # {media_id, kind, renditions: {display, thumb, poster?} (S3 keys), width?, height?, duration_s?}
    media: list[dict[str, Any]]
    created_at: str
    published_at: str


class PostInReview(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostInReview"

    post_id: str
    author_id: str
    # "text", "image" (moderation wants a person) or "reports" (readers reported it).
    reason: str
    was_published: bool = False


class PostRejected(DomainEvent):
    """A post that was never published was rejected."""

    source = "earnloop.content"
    detail_type = "PostRejected"

    post_id: str
    author_id: str
    # "text", "media:<media reason>", or an admin's words.
    reason: str


class PostTakenDown(DomainEvent):
    """A post that had been published was rejected (instead of `PostRejected`)."""

    source = "earnloop.content"
    detail_type = "PostTakenDown"

    post_id: str
    author_id: str
    reason: str


class PostRemoved(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostRemoved"

    post_id: str
    author_id: str
    by: Literal["author", "admin", "moderation"]
    was_published: bool
    media_ids: list[str] = Field(default_factory=list)


class CommentAdded(DomainEvent):
    source = "earnloop.content"
    detail_type = "CommentAdded"

    post_id: str
    comment_id: str
    author_id: str
    post_author_id: str


def published_event(post: dict[str, Any]) -> PostPublished:
    """The `PostPublished` of a post item (also copied into its outbox marker: content/posts_outbox.py)."""
    media = [
        {
            k: m.get(k)
            for k in ("media_id", "kind", "renditions", "width", "height", "duration_s")
            if m.get(k) is not None
        }
        for m in post.get("media", [])
    ]
    return PostPublished.model_validate({**post, "media": media})


def derive_posts(change: Change) -> list[DomainEvent]:
    """The posts area's events from one change of the content table."""
    if change.entity == PENDING_ENTITY:
        # A post's earn not confirmed in time: the sweep touched its marker (posts_outbox.py).
        return republished(change, {PostPublished.detail_type: PostPublished})
    if (
        change.entity == "Comment"
        and change.new is not None
        and (change.kind == "INSERT" or was_swept(change))
    ):
        # New, or its earn has not arrived (content/interactions_outbox.py).
        return [CommentAdded.model_validate(change.new)]
    if change.entity != "Post" or change.new is None:
        return []
    new, old = change.new, change.old or {}
    before = old.get("status")
    status = new.get("status")
    if status == before:
        return []
    was_published = before == "published" or (before == "in_review" and bool(old.get("published_at")))
    author = new["author_id"]
    post_id = new["post_id"]
    if status == "published":
        return [published_event(new)]
    if status == "in_review":
        return [
            PostInReview(
                post_id=post_id,
                author_id=author,
                reason=new.get("reason") or "review",
                was_published=was_published,
            )
        ]
    if status == "rejected":
        reason = new.get("reason") or "rejected"
        if new.get("published_at"):
            # A takedown: one event (the author is told once; feeds drop it; points claw back).
            return [PostTakenDown(post_id=post_id, author_id=author, reason=reason)]
        return [PostRejected(post_id=post_id, author_id=author, reason=reason)]
    if status == "removed":
        return [
            PostRemoved(
                post_id=post_id,
                author_id=author,
                by=new.get("removed_by") or "author",
                was_published=was_published,
                media_ids=[m["media_id"] for m in new.get("media", [])],
            )
        ]
    return []


# Consumed (only the fields this area reads)


class MediaReady(DomainEvent):
    """From the media area: an upload became media (`moderation` pass or review)."""

    source = "earnloop.content"
    detail_type = "MediaReady"

    media_id: str
    owner_id: str
    kind: Literal["image", "video"]
    moderation: Literal["pass", "review"] = "pass"
    renditions: dict[str, str] = Field(default_factory=dict)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


class MediaRejected(DomainEvent):
    source = "earnloop.content"
    detail_type = "MediaRejected"

    media_id: str
    owner_id: str
    reason: str


class ScanClaimed(DomainEvent):
    """From the codes context: the user scanned a product (a post may then name its SKU)."""

    source = "earnloop.codes"
    detail_type = "ScanClaimed"

    user_id: str
    sku: str
    claimed_at: str
