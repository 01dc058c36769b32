"""What happens to media after the media worker (`media_settle`, queue `media-settle`):

- WeChat's asynchronous image check answers: the wechat context turns each pushed verdict into
  `MediaCheckVerdict`, and the media worker stored a `TRACE#<trace_id>` lookup when it asked. A
  verdict for a trace id this area never asked about (another feature's check) is ignored; a repeated
  one changes nothing (`MediaStore.settle`'s condition).
- A post is removed (`PostRemoved`, by its author, an admin or moderation): the media it claimed go,
  renditions, any raw upload left and the items.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from earnloop.content.media_rules import upload_key
from earnloop.content.media_store import MediaStore, Outcome, media_store
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


class PostRemoved(DomainEvent):
    """What this worker reads of the posts area's event."""

    source = "earnloop.content"
    detail_type = "PostRemoved"

    post_id: str
    media_ids: list[str] = Field(default_factory=list)


def settle(event: MediaCheckVerdict, store: MediaStore | None = None) -> None:
    store = store or media_store()
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
        if media is not None:
            # A refused image is never served; its renditions go at once.
            delete_objects(list(media.renditions.values()))
        logger.info("verdict settled", extra={"outcome": event.outcome, "settled": settled})


def remove_for_post(event: PostRemoved, store: MediaStore | None = None) -> None:
    store = store or media_store()
    for media_id in event.media_ids:
        media = store.get(media_id)
        if media is None or media.post_id != event.post_id:
            # Gone already (a redelivery), or never claimed by this post: not this post's to delete.
            continue
        # Objects first, the item last: a retry after a failure still knows what to delete.
        delete_objects([*media.renditions.values(), upload_key(media.owner_id, media_id)])
        store.delete_claimed(media_id, event.post_id)
    logger.info(
        "removed post's media deleted", extra={"post_id": event.post_id, "media": len(event.media_ids)}
    )


def delete_objects(keys: list[str]) -> None:
    if keys:
        aws.client("s3").delete_objects(
            Bucket=get_settings().bucket_name("media"),
            Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
        )


lambda_handler = queue_worker(
    {
        MediaCheckVerdict.detail_type: (MediaCheckVerdict, settle),
        PostRemoved.detail_type: (PostRemoved, remove_for_post),
    }
)
