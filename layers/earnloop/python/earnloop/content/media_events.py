"""Events of the media area, derived from media items' changes in the content table."""

from __future__ import annotations

from typing import Literal

from earnloop.content.media_store import MEDIA_ENTITY
from earnloop.platform.events import Change, DomainEvent


class MediaReady(DomainEvent):
    """An upload became media: renditions written, moderation passed or sent to review."""

    source = "earnloop.content"
    detail_type = "MediaReady"

    media_id: str
    owner_id: str
    kind: Literal["image", "video"]
    moderation: Literal["pass", "review"]
    # Rendition name ("display", "thumb", "poster", "video") -> S3 key under media/.
    renditions: dict[str, str]
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


class MediaRejected(DomainEvent):
    """An upload was refused: `reason` is the worker's stable word (`unsupported_type`, `damaged`,
    `too_large`, `too_many_pixels`, `too_short`, `too_long`, `no_video`, `moderation`, `missing`)."""

    source = "earnloop.content"
    detail_type = "MediaRejected"

    media_id: str
    owner_id: str
    reason: str


def derive_media(change: Change) -> list[DomainEvent]:
    """One event when a media item is decided; the worker's conditions make that happen once."""
    if change.entity != MEDIA_ENTITY or change.new is None:
        return []
    if change.became("status", "ready"):
        return [MediaReady.model_validate(change.new)]
    if change.became("status", "rejected"):
        return [
            MediaRejected.model_validate({**change.new, "reason": change.new.get("reason") or "rejected"})
        ]
    return []
