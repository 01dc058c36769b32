"""Starting an upload: the pending media item and a presigned S3 POST bound to it.

The POST policy binds the key `uploads/<user>/<media-id>`, the declared Content-Type and a
`content-length-range` up to the size class's limit, for `UPLOAD_EXPIRES_S`. S3 enforces it (and
the local S3 front, `earnloop.local.s3_front`, enforces it the same way); the bucket's
ObjectCreated notification then starts the media worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.media_models import Media, UploadCreate, UploadCreated, UploadForm
from earnloop.content.media_rules import CONTENT_TYPES, LIMITS, UPLOAD_EXPIRES_S, UPLOADS_PER_HOUR, upload_key
from earnloop.content.media_serving import on_media_host
from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.errors import PayloadTooLargeError, ValidationFailedError
from earnloop.platform.ids import new_id
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.content.media_store import MediaStore


def start_upload(
    store: MediaStore, body: UploadCreate, owner_id: str, openid: str | None, now: datetime
) -> UploadCreated:
    """Checks the declaration, writes the pending item, and signs the upload form.

    Raises:
        ValidationFailedError: a content type other than the accepted ones.
        PayloadTooLargeError: a declared size over its type's limit (no URL is issued).
        RateLimitedError: too many uploads started this hour.
    """
    content_type = body.content_type.strip().lower()
    kind = CONTENT_TYPES.get(content_type)
    if kind is None:
        raise ValidationFailedError(
            f"content_type must be one of {', '.join(CONTENT_TYPES)}", field="content_type"
        )
    limit = LIMITS[kind]
    if body.size > limit:
        raise PayloadTooLargeError(f"a {kind} may have at most {limit} bytes", limit=limit)
    media = Media(
        media_id=new_id(),
        owner_id=owner_id,
        kind=kind,
        declared_type=content_type,
        declared_size=body.size,
        created_at=iso(now),
        openid=openid,
    )
    store.create(media, now, UPLOADS_PER_HOUR)
    key = upload_key(owner_id, media.media_id)
    # Signed locally with the function's credentials (no request to S3): the form carries the
    # policy, its SigV4 signature and, in Lambda, the session token the policy names.
    form = aws.client("s3").generate_presigned_post(
        Bucket=get_settings().bucket_name("media"),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, limit]],
        ExpiresIn=UPLOAD_EXPIRES_S,
    )
    return UploadCreated(
        media_id=media.media_id,
        upload=UploadForm(
            url=on_media_host(form["url"]), fields={k: str(v) for k, v in form["fields"].items()}
        ),
        expires_in=UPLOAD_EXPIRES_S,
    )
