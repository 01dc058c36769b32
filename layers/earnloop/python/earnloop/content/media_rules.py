"""What the media area accepts: declared content types, their size classes, upload expiry, keys.

A declared type only chooses the size class and the `Content-Type` condition of the upload; the
media worker identifies the type from the bytes and trusts nothing declared.
"""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Literal

MediaKind = Literal["image", "video"]
MediaStatus = Literal["pending", "ready", "rejected"]

MB = 1024 * 1024
LIMITS: dict[MediaKind, int] = {"image": 10 * MB, "video": 50 * MB}
CONTENT_TYPES: dict[str, MediaKind] = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/webp": "image",
    "image/heic": "image",
    "image/heif": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
}
# A presigned POST is valid this long: S3 checks the policy's expiry when the upload starts, so a
# slow 50 MB upload that began in time still completes.
UPLOAD_EXPIRES_S = 300
# Presigned GETs of renditions: long enough for a feed session, short enough that a leaked URL of a
# post taken down stops working soon after.
VIEW_EXPIRES_S = 3600
# Uploads a user may start in one hour (each costs a worker run and a moderation call).
UPLOADS_PER_HOUR = 60

# The media sweep (`content/media_sweep.py`): an upload with no outcome a day after its form was
# issued is `abandoned` (never sent, or its processing failed past its DLQ); an image WeChat has not
# judged two hours after it was asked (it answers within 30 minutes) goes to human review.
ABANDONED_AFTER = timedelta(days=1)
VERDICT_WAIT = timedelta(hours=2)
# Items due for the sweep, spread over this many index partitions.
SWEEP_SHARDS = 4

UPLOADS_PREFIX = "uploads/"
RENDITIONS_PREFIX = "media/"


def upload_key(owner_id: str, media_id: str) -> str:
    return f"{UPLOADS_PREFIX}{owner_id}/{media_id}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(owner_id, media_id) of `uploads/<owner>/<media-id>`, or None for any other key."""
    if not key.startswith(UPLOADS_PREFIX):
        return None
    parts = key[len(UPLOADS_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def rendition_key(media_id: str, name: str, extension: str) -> str:
    return f"{RENDITIONS_PREFIX}{media_id}/{name}.{extension}"


def sweep_partition(media_id: str) -> str:
    return f"MEDIASWEEP#{zlib.crc32(media_id.encode()) % SWEEP_SHARDS}"
