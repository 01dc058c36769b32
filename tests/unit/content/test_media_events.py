"""MediaReady / MediaRejected from media items' changes: once, when the item is decided."""

from __future__ import annotations

from typing import Any

from earnloop.content.events import derive
from earnloop.content.media_events import MediaReady, MediaRejected
from earnloop.platform.events import Change

PENDING = {
    "pk": "MEDIA#m1",
    "sk": "MEDIA",
    "entity": "Media",
    "media_id": "m1",
    "owner_id": "u1",
    "kind": "image",
    "status": "pending",
    "declared_type": "image/jpeg",
    "declared_size": 1000,
    "created_at": "2026-12-02T10:00:00.000Z",
}
RENDITIONS = {"display": "media/m1/display.jpg", "thumb": "media/m1/thumb.jpg"}


def change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Change:
    kind = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    return Change("content", kind, old, new)  # type: ignore[arg-type]


def test_a_ready_item_is_media_ready_with_its_renditions_and_moderation() -> None:
    ready = {
        **PENDING,
        "status": "ready",
        "moderation": "review",
        "renditions": RENDITIONS,
        "width": 1080,
        "height": 810,
    }

    (event,) = derive(change(PENDING, ready))

    assert isinstance(event, MediaReady)
    assert event.model_dump() == {
        "media_id": "m1",
        "owner_id": "u1",
        "kind": "image",
        "moderation": "review",
        "renditions": RENDITIONS,
        "width": 1080,
        "height": 810,
        "duration_s": None,
    }


def test_a_rejected_item_is_media_rejected_with_its_reason() -> None:
    (event,) = derive(change(PENDING, {**PENDING, "status": "rejected", "reason": "too_many_pixels"}))

    assert isinstance(event, MediaRejected) and event.reason == "too_many_pixels"


def test_creation_waiting_on_wechat_a_post_claim_and_deletion_say_nothing() -> None:
    waiting = {**PENDING, "moderation": "pending", "trace_id": "t1", "renditions": RENDITIONS}
    ready = {**waiting, "status": "ready", "moderation": "pass"}

    assert derive(change(None, PENDING)) == []
    assert derive(change(PENDING, waiting)) == []
    assert derive(change(ready, {**ready, "post_id": "p1"})) == []
    assert derive(change(ready, None)) == []
    assert [type(e) for e in derive(change(waiting, ready))] == [MediaReady]
