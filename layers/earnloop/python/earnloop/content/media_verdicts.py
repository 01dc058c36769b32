"""Settling media that waited on WeChat's asynchronous image check (`media_verdict`).

The wechat context turns each pushed verdict into `MediaCheckVerdict`; the media worker stored a
`TRACE#<trace_id>` lookup when it asked. A verdict for a trace id we never asked about (another
feature's check) is ignored; a repeated one changes nothing (`MediaStore.settle`'s condition).
"""

from __future__ import annotations

from typing import Literal

from earnloop.content.media_store import Outcome, media_store
from earnloop.platform import aws
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import log_keys, logger
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker


class MediaCheckVerdict(DomainEvent):
    """What this worker reads of the wechat context's event (its other fields are ignored)."""

    source = "earnloop.wechat"
    detail_type = "MediaCheckVerdict"

    trace_id: str
    outcome: Literal["pass", "review", "reject"]
    label: str | int | None = None


def settle(event: MediaCheckVerdict) -> None:
    store = media_store()
    media_id = store.media_for_trace(event.trace_id)
    if media_id is None:
        logger.info("verdict for a check this area did not ask", extra={"trace_id": event.trace_id})
        return
    with log_keys(media_id=media_id):
        if event.outcome == "reject":
            outcome = Outcome("rejected", reason="moderation")
        else:
            outcome = Outcome("ready", moderation=event.outcome)
        settled = store.settle(media_id, event.trace_id, outcome, iso(utcnow()))
        media = store.get(media_id) if settled and event.outcome == "reject" else None
        if media is not None and media.renditions:
            # A refused image is never served; its renditions go at once.
            aws.client("s3").delete_objects(
                Bucket=get_settings().bucket_name("media"),
                Delete={"Objects": [{"Key": k} for k in media.renditions.values()], "Quiet": True},
            )
        logger.info("verdict settled", extra={"outcome": event.outcome, "settled": settled})


lambda_handler = queue_worker({MediaCheckVerdict.detail_type: (MediaCheckVerdict, settle)})
