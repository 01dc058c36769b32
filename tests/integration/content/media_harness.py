"""Helpers of the media tests: an upload started through its route, S3's notification of a raw
object handed to the worker as SQS would, and what the table and the bucket then hold."""

from __future__ import annotations

import io
from typing import Any

from earnloop.content.media_store import media_key
from earnloop.local.s3_front import object_created_event
from earnloop.platform import aws
from PIL import Image

from tests.conftest import TESTDATA
from tests.support.lambdas import call_http, invoke, sample_body, sqs_event, stored

IMAGES = TESTDATA / "images"


def start_upload(cloud: Any, user: str = "u1", content_type: str = "image/jpeg") -> str:
    answer = call_http(
        "media_uploads_create", token=cloud.token(user), body={"content_type": content_type, "size": 1000}
    )
    assert answer.status == 201, answer.body
    return str(answer.json["media_id"])


def deliver(cloud: Any, user: str, media_id: str, data: bytes | None = None) -> dict[str, Any]:
    """Puts the raw object (unless None) and hands S3's notification to the worker, as SQS would."""
    bucket, key = cloud.settings.bucket_name("media"), f"uploads/{user}/{media_id}"
    if data is not None:
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    notification = object_created_event(
        region="ap-east-1",
        bucket=bucket,
        key=key,
        size=len(data or b""),
        etag="e",
        configuration_id="media-0",
        source_ip="203.0.113.10",
    )
    return invoke("media_process", sqs_event("sqs/media_process.json", notification))  # type: ignore[no-any-return]


def process(cloud: Any, path_or_bytes: Any, user: str = "u1") -> dict[str, Any]:
    media_id = start_upload(cloud, user)
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    assert deliver(cloud, user, media_id, data) == {"batchItemFailures": []}
    return media(cloud, media_id)


def media(cloud: Any, media_id: str) -> dict[str, Any]:
    item = stored(cloud.settings.table_name("content"), media_key(media_id))
    assert item is not None
    return item


def objects(cloud: Any, prefix: str) -> dict[str, bytes]:
    s3, bucket = aws.client("s3"), cloud.settings.bucket_name("media")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def solid_jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(out, "JPEG")
    return out.getvalue()


def verdict(trace_id: str, outcome: str) -> dict[str, Any]:
    """The wechat context's `MediaCheckVerdict`, as the sample's EventBridge envelope on SQS."""
    body = sample_body("sqs/media_settle.json")
    body["detail"] = {**body["detail"], "trace_id": trace_id, "outcome": outcome, "label": 100}
    return sqs_event("sqs/media_settle.json", body)
