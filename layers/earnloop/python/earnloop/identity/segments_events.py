"""Lifecycle segment events: `SegmentChanged`, which identity emits, and the activity events of
other contexts that the segments count, as identity reads them (only the fields it needs)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from earnloop.platform.events import Change, DomainEvent


class SegmentChanged(DomainEvent):
    """A user moved from one lifecycle segment to another (None: their first segment)."""

    source = "earnloop.identity"
    detail_type = "SegmentChanged"

    user_id: str
    from_segment: str | None = None
    to_segment: str
    rfm: dict[str, int] = Field(default_factory=dict)
    changed_at: str
    # The user's first scan (None: never scanned, never a customer): the wake-up gift needs one.
    first_scan_at: str | None = None


def segment_changes(change: Change) -> list[DomainEvent]:
    """A user item whose `segment` changed means a `SegmentChanged` (identity's deriver calls this)."""
    new: dict[str, Any] = change.new or {}
    old: dict[str, Any] = change.old or {}
    if change.entity != "User" or not new.get("segment") or new.get("segment") == old.get("segment"):
        return []
    return [
        SegmentChanged(
            user_id=new["user_id"],
            from_segment=old.get("segment"),
            to_segment=new["segment"],
            rfm={k: int(v) for k, v in (new.get("rfm") or {}).items()},
            changed_at=new.get("segment_since") or new["created_at"],
            first_scan_at=new.get("first_scan_at"),
        )
    ]


class CommentAdded(DomainEvent):
    source = "earnloop.content"
    detail_type = "CommentAdded"

    comment_id: str
    author_id: str
    # Added by the stream publisher to every event: when the comment was committed.
    occurred_at: str


class PostLiked(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostLiked"

    post_id: str
    user_id: str
    liked_at: str


class CheckedIn(DomainEvent):
    source = "earnloop.points"
    detail_type = "CheckedIn"

    user_id: str
    day: str
    occurred_at: str


class UserFollowed(DomainEvent):
    source = "earnloop.identity"
    detail_type = "UserFollowed"

    follower_id: str
    followee_id: str
    followed_at: str
