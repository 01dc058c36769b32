"""What the posts tests need on top of `tests.support.lambdas`: users calling the post routes, media
items made and decided by the media area's own store, and the event plumbing (content stream ->
publisher -> bus -> rules -> queues -> workers) pumped by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from earnloop.content.media_models import Media
from earnloop.content.media_store import MediaStore, Outcome
from earnloop.content.posts_store import post_key
from earnloop.platform import aws
from earnloop.platform.ids import new_id

from tests.support.lambdas import HttpAnswer, call_http, drain, invoke, pump_stream, sqs_event, stored

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@dataclass
class Posts:
    cloud: Any

    @property
    def table(self) -> str:
        return str(self.cloud.settings.table_name("content"))

    def call(self, name: str, user: str, *roles: str, **event: Any) -> HttpAnswer:
        return call_http(name, token=self.cloud.token(user, *roles), **event)

    def create(self, user: str, key: str | None = None, **body: Any) -> HttpAnswer:
        headers = {"Idempotency-Key": key} if key else None
        payload = {"text": "my fruit bowl", "media_ids": [], "topics": [], **body}
        return self.call("posts_create", user, body=payload, headers=headers)

    def get(self, user: str, post_id: str, *roles: str) -> HttpAnswer:
        return self.call("posts_get", user, *roles, path_parameters={"post_id": post_id})

    def on_post(self, name: str, user: str, post_id: str, *roles: str, body: Any = None) -> HttpAnswer:
        return self.call(name, user, *roles, path_parameters={"post_id": post_id}, body=body)

    def item(self, post_id: str) -> dict[str, Any] | None:
        return stored(self.table, post_key(post_id))

    # Media, as the media area makes and decides it

    def media(self, owner: str, kind: str = "image") -> str:
        media_id = new_id()
        declared = "image/jpeg" if kind == "image" else "video/mp4"
        media = Media(
            media_id=media_id,
            owner_id=owner,
            kind=kind,  # type: ignore[arg-type]
            declared_type=declared,
            declared_size=1000,
            created_at="2026-12-02T09:00:00.000Z",
        )
        MediaStore(aws.dynamodb(), self.table).create(media, NOW, per_hour=1000)
        return media_id

    def ready(self, media_id: str, moderation: str = "pass") -> None:
        renditions = {"display": f"media/{media_id}/display.jpg", "thumb": f"media/{media_id}/thumb.jpg"}
        outcome = Outcome(
            status="ready", renditions=renditions, moderation=moderation, width=1080, height=810
        )
        assert MediaStore(aws.dynamodb(), self.table).record(media_id, outcome, "2026-12-02T09:00:05.000Z")

    def reject(self, media_id: str, reason: str = "damaged") -> None:
        outcome = Outcome(status="rejected", reason=reason)
        assert MediaStore(aws.dynamodb(), self.table).record(media_id, outcome, "2026-12-02T09:00:05.000Z")

    # Events

    def events(self, queue: str) -> list[dict[str, Any]]:
        """The content stream pumped to the bus; what reached `queue` (drained)."""
        pump_stream(self.cloud.streams["content"])
        return drain(self.cloud.queues[queue].main)

    def run_posts_worker(self) -> list[dict[str, Any]]:
        """Delivers what reached the `posts` queue to its worker (every message, repeats included)."""
        bodies = self.events("posts")
        if bodies:
            assert invoke("posts_worker", sqs_event("sqs/posts_worker.json", *bodies)) == {
                "batchItemFailures": []
            }
        return bodies

    def run_points_worker(self) -> list[dict[str, Any]]:
        bodies = self.events("points")
        if bodies:
            assert invoke("points_earn", sqs_event("sqs/points_earn.json", *bodies)) == {
                "batchItemFailures": []
            }
        return bodies


def detail_types(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["detail-type"] for b in bodies]
