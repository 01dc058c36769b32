"""Events of likes, derived from committed changes of like items (source `earnloop.content`):
`PostLiked` when a like item becomes liked (new, or liked again after an unlike), `PostUnliked`
when it stops being liked. A like/unlike cycle therefore emits a pair per cycle; consumers that pay
(points) pay once per (post, liker) by their txn ids."""

from __future__ import annotations

from earnloop.platform.events import Change, DomainEvent
from earnloop.platform.outbox_sweep import was_swept


class PostLiked(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostLiked"

    post_id: str
    user_id: str
    post_author_id: str
    liked_at: str


class PostUnliked(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostUnliked"

    post_id: str
    user_id: str
    post_author_id: str
    unliked_at: str


def derive_likes(change: Change) -> list[DomainEvent]:
    """The likes area's events from one change of the content table."""
    if change.entity != "Like" or change.new is None:
        return []
    if change.became("liked", True) or (was_swept(change) and change.new.get("liked") is True):
        # New, liked again, or a like whose earn has not arrived (content/interactions_outbox.py).
        return [PostLiked.model_validate(change.new)]
    if change.became("liked", False) and change.old is not None:
        return [PostUnliked.model_validate(change.new)]
    return []
