"""Events of the content context: each area derives its own from the table's changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.erasure_rounds import derive_erasure_rounds
from earnloop.content.likes_events import derive_likes
from earnloop.content.media_events import derive_media
from earnloop.content.posts_events import derive_posts
from earnloop.platform.audit import derive_recorded

if TYPE_CHECKING:
    from earnloop.platform.events import Change, Deriver, DomainEvent

# Each area (media, posts, feeds) adds its deriver here; `derive_recorded`: admins' audit records.
_DERIVERS: tuple[Deriver, ...] = (
    derive_media,
    derive_posts,
    derive_likes,
    derive_erasure_rounds,
    derive_recorded,
)


def derive(change: Change) -> list[DomainEvent]:
    return [event for deriver in _DERIVERS for event in deriver(change)]
