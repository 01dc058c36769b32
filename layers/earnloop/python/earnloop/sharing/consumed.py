"""What the sharing worker reads of other contexts' events (only the fields it uses).

`UserRegistered` is imported from identity's events; the content events are declared here, so the
worker loads nothing of the content context.
"""

from __future__ import annotations

from earnloop.platform.events import DomainEvent


class PostLiked(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostLiked"

    post_id: str
    user_id: str
    liked_at: str | None = None
    # The bus envelope's commit time, when the event has no time of its own.
    occurred_at: str | None = None


class CommentAdded(DomainEvent):
    source = "earnloop.content"
    detail_type = "CommentAdded"

    post_id: str
    comment_id: str
    author_id: str
    occurred_at: str | None = None


class UserDeleted(DomainEvent):
    """The person deleted their account: their shares and openings are erased (sharing/erasure.py)."""

    source = "earnloop.identity"
    detail_type = "UserDeleted"

    user_id: str
    deleted_at: str
