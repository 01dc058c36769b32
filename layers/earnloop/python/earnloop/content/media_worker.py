"""The media worker (`media_process`): one uploaded object, from S3's ObjectCreated notification to
the media item's outcome.

It trusts nothing the client declared: `process_upload` identifies the bytes and makes the
renditions. Everything is idempotent under redelivery: renditions have deterministic keys, the item
records an outcome only once (`MediaStore.record`'s condition), and the raw upload is deleted only
after the outcome is recorded, so a lost raw object means a recorded outcome (or an abandoned upload
the lifecycle rule removed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from earnloop.content.media_processing import MediaRejectedError, Processed, process_upload
from earnloop.content.media_rules import LIMITS, VIEW_EXPIRES_S, parse_upload_key, rendition_key
from earnloop.content.media_serving import signed_url
from earnloop.content.media_store import MediaStore, Outcome, media_store
from earnloop.platform import aws
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.observability import log_keys, logger, metrics
from earnloop.platform.workers import sqs_worker

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from earnloop.content.media_models import Media

# What operators count (a rejection rate that jumps says a client or the imaging layer broke).
_OUTCOME_METRICS = {"ready": "MediaReady", "rejected": "MediaRejected", "pending": "MediaAwaitingVerdict"}
# Renditions never change once written (a new upload is a new media id).
CACHE_CONTROL = "private, max-age=31536000, immutable"


def handle_message(record: SQSRecord) -> None:
    body = json.loads(record.body)
    # S3 sends one test message when a notification is configured: nothing to process.
    if body.get("Event") == "s3:TestEvent":
        return
    for s3_record in body.get("Records", []):
        if not str(s3_record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        bucket = s3_record["s3"]["bucket"]["name"]
        # Keys arrive URL-encoded (spaces as `+`).
        key = unquote_plus(s3_record["s3"]["object"]["key"])
        process_object(media_store(), bucket, key)


def process_object(store: MediaStore, bucket: str, key: str) -> None:
    parsed = parse_upload_key(key)
    if parsed is None:
        logger.warning("object outside uploads/<user>/<media-id> ignored", extra={"key": key})
        return
    owner_id, media_id = parsed
    with log_keys(media_id=media_id):
        media = store.get(media_id)
        if media is None or media.owner_id != owner_id:
            # Only a form we signed writes under uploads/, and it names its item: nothing to keep.
            logger.warning("upload without its media item deleted", extra={"key": key})
            _delete(bucket, key)
            return
        if media.status != "pending" or media.processed_at is not None:
            # A redelivery after the outcome was recorded (its raw delete may have failed).
            _delete(bucket, key)
            return
        data = _read(bucket, key, LIMITS[media.kind])
        if data is None:
            _missing(store, media)
            return
        _process(store, media, bucket, key, data)


def _read(bucket: str, key: str, limit: int) -> bytes | None:
    """The raw object's first `limit + 1` bytes at most (one more tells it was too large), or None."""
    s3 = aws.client("s3")
    try:
        response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{limit}")
    except s3.exceptions.NoSuchKey:
        return None
    return bytes(response["Body"].read(limit + 1))


def _missing(store: MediaStore, media: Media) -> None:
    # The raw object is deleted only after an outcome is recorded; re-read to tell a concurrent
    # delivery's success from a raw upload that is really gone (expired by the lifecycle rule).
    current = store.get(media.media_id)
    if current is not None and current.status == "pending" and current.processed_at is None:
        store.record(media.media_id, Outcome("rejected", reason="missing"), iso(utcnow()))


def _process(store: MediaStore, media: Media, bucket: str, key: str, data: bytes) -> None:
    now = iso(utcnow())
    try:
        processed = process_upload(data)
    except MediaRejectedError as rejected:
        logger.info("upload rejected", extra={"reason": rejected.reason, "detail": rejected.detail})
        if store.record(media.media_id, Outcome("rejected", reason=rejected.reason), now):
            metrics.add_metric(name="MediaRejected", unit="Count", value=1)
        _delete(bucket, key)
        return
    renditions = _write_renditions(bucket, media.media_id, processed)
    outcome = _moderate(media, processed, renditions)
    recorded = store.record(media.media_id, outcome, now)
    if (recorded and outcome.status == "rejected") or (not recorded and store.get(media.media_id) is None):
        # Refused by moderation, or its post was removed (and the item with it) while we worked.
        _delete_renditions(bucket, renditions)
    if recorded:
        metrics.add_metric(name=_OUTCOME_METRICS[outcome.status], unit="Count", value=1)
    logger.info("upload processed", extra={"status": outcome.status, "recorded": recorded})
    _delete(bucket, key)


def _write_renditions(bucket: str, media_id: str, processed: Processed) -> dict[str, str]:
    s3 = aws.client("s3")
    keys: dict[str, str] = {}
    for name, rendition in processed.renditions.items():
        keys[name] = rendition_key(media_id, name, rendition.extension)
        s3.put_object(
            Bucket=bucket,
            Key=keys[name],
            Body=rendition.data,
            ContentType=rendition.content_type,
            CacheControl=CACHE_CONTROL,
        )
    return keys


def _moderate(media: Media, processed: Processed, renditions: dict[str, str]) -> Outcome:
    """The image check of the display rendition (a video's poster frame): WeChat answers later."""
    from earnloop.moderation import moderation_from_settings

    verdict = moderation_from_settings().check_image(
        image=processed.renditions["display"].data,
        # WeChat fetches the image itself, up to 30 minutes later.
        url=signed_url(renditions["display"], expires_in=VIEW_EXPIRES_S),
        openid=media.openid,
        subject_id=media.media_id,
    )
    facts: dict[str, Any] = {
        "kind": processed.kind,
        "content_type": processed.content_type,
        "renditions": renditions,
        "width": processed.width,
        "height": processed.height,
        "duration_s": processed.duration_s,
    }
    if verdict.outcome == "reject":
        return Outcome("rejected", reason="moderation", **facts)
    if verdict.outcome == "pending":
        return Outcome("pending", moderation="pending", trace_id=verdict.trace_id, **facts)
    return Outcome("ready", moderation=verdict.outcome, **facts)


def _delete(bucket: str, key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket, Key=key)


def _delete_renditions(bucket: str, renditions: dict[str, str]) -> None:
    if renditions:
        aws.client("s3").delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in renditions.values()], "Quiet": True}
        )


lambda_handler = sqs_worker(handle_message)
