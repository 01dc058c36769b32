"""Serving renditions: presigned GETs of `media/` keys, never of `uploads/` (docs/decisions.md).

Callers decide who may see a rendition (the owner of a media item; anyone who may see the post that
carries it); this module only signs. Signing needs no request, so a feed page of nine images costs
no S3 call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.media_rules import RENDITIONS_PREFIX, VIEW_EXPIRES_S
from earnloop.platform import aws
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.content.media_models import Media


def signed_url(key: str, expires_in: int = VIEW_EXPIRES_S) -> str:
    if not key.startswith(RENDITIONS_PREFIX):
        # Raw uploads are never readable: not even a bug can sign one.
        raise ValueError(f"only renditions are served, not {key!r}")
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": get_settings().bucket_name("media"), "Key": key},
            ExpiresIn=expires_in,
        )
    )


def rendition_urls(media: Media) -> dict[str, str]:
    """Rendition name ("display", "thumb", "poster", "video") -> a presigned GET URL; empty unless
    the item is ready. The posts area calls this only for a post the reader may see."""
    if media.status != "ready":
        return {}
    return {name: signed_url(key) for name, key in media.renditions.items()}
