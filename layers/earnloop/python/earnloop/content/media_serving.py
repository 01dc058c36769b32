"""Serving renditions: presigned GETs of `media/` keys, never of `uploads/` (docs/decisions.md).

Callers decide who may see a rendition (the owner of a media item; anyone who may see the post that
carries it); this module only signs. Signing needs no request, so a feed page of nine images costs
no S3 call.

With `settings.media_host` (the stage's ICP-filed HTTPS media domain, proxying to the bucket's REST
endpoint and sending the bucket's own Host upstream), URLs carry that host instead of S3's: a
mini-program may only upload to and download from whitelisted, ICP-filed domains. A presigned GET
signs the bucket's host, which the proxy restores; a POST form's policy names no host at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from earnloop.content.media_rules import RENDITIONS_PREFIX, VIEW_EXPIRES_S
from earnloop.platform import aws
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.content.media_models import Media


def signed_url(key: str, expires_in: int = VIEW_EXPIRES_S) -> str:
    if not key.startswith(RENDITIONS_PREFIX):
        # Raw uploads are never readable: not even a bug can sign one.
        raise ValueError(f"only renditions are served, not {key!r}")
    return on_media_host(
        str(
            aws.client("s3").generate_presigned_url(
                "get_object",
                Params={"Bucket": get_settings().bucket_name("media"), "Key": key},
                ExpiresIn=expires_in,
            )
        )
    )


def on_media_host(url: str) -> str:
    """`url` on the stage's media host (path and query kept), or unchanged without one."""
    host = get_settings().media_host
    if not host:
        return url
    parts = urlsplit(url)
    return urlunsplit(("https", host, parts.path, parts.query, ""))


def rendition_urls(media: Media) -> dict[str, str]:
    """Rendition name ("display", "thumb", "poster", "video") -> a presigned GET URL; empty unless
    the item is ready. The posts area calls this only for a post the reader may see."""
    if media.status != "ready":
        return {}
    return {name: signed_url(key) for name, key in media.renditions.items()}
