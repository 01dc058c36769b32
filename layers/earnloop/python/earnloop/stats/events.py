"""Events of other contexts that the stats context counts, as it reads them, and what its own
table means to others (nothing: counters, guards and boards are read only through its routes).

A context never imports another's code: each model names only the fields of the producer's event
that statistics and the leaderboard need, and ignores the rest.
"""

from __future__ import annotations

from pydantic import Field

from earnloop.platform.events import Change, DomainEvent


class PointsChanged(DomainEvent):
    source = "earnloop.points"
    detail_type = "PointsChanged"

    txn_id: str = Field(min_length=1, max_length=256)
    user_id: str = Field(min_length=1, max_length=64)
    entry_type: str
    delta: int
    created_at: str


class ScanClaimed(DomainEvent):
    source = "earnloop.codes"
    detail_type = "ScanClaimed"

    scan_id: str = Field(min_length=1, max_length=128)
    user_id: str
    claimed_at: str


class ScanRejectionsCounted(DomainEvent):
    """The codes context's counter of rejected scans of one (business day, reason, shard) reached
    `count` (codes/events.py): the stats keep the highest count seen, so order and repeats are moot."""

    source = "earnloop.codes"
    detail_type = "ScanRejectionsCounted"

    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    reason: str = Field(pattern=r"^[a-z_]{1,40}$")
    shard: int = Field(ge=0, lt=1024)
    count: int = Field(ge=0)


class PostPublished(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostPublished"

    post_id: str = Field(min_length=1, max_length=64)
    author_id: str
    published_at: str


class PostLiked(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostLiked"

    post_id: str = Field(min_length=1, max_length=64)
    user_id: str = Field(min_length=1, max_length=64)
    liked_at: str


class ProfileChanged(DomainEvent):
    source = "earnloop.identity"
    detail_type = "ProfileChanged"

    user_id: str = Field(min_length=1, max_length=64)
    nickname: str | None = None
    # Absent from events of before the opt-out existed: shown, as every profile was then.
    leaderboard_visible: bool = True
    updated_at: str


class UserDeleted(DomainEvent):
    """The person deleted their account: boards stop showing them (stats/worker.py)."""

    source = "earnloop.identity"
    detail_type = "UserDeleted"

    user_id: str = Field(min_length=1, max_length=64)
    deleted_at: str


def derive(change: Change) -> list[DomainEvent]:
    """The stats table's writes are no one else's business."""
    return []
