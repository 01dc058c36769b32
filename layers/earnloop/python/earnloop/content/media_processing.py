"""What the media worker does with an upload's bytes: identify, check, and render.

`process_upload` trusts nothing the client declared. It identifies the type from the bytes, checks
size, pixels or duration, and returns renditions made by us (re-encoded JPEGs without EXIF, GPS, XMP
or ICC; a video remuxed without its metadata), or raises `MediaRejectedError` with a stable reason.

Only the media worker imports this module: it needs the imaging layer (Pillow, pillow-heif,
mutagen, PyAV), which no other function carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from earnloop.content import media_images, media_inspect, media_video
from earnloop.content.media_rejected import MediaRejectedError, RejectReason
from earnloop.content.media_renditions import Rendition
from earnloop.content.media_rules import LIMITS, MediaKind

__all__ = ["MediaRejectedError", "Processed", "RejectReason", "Rendition", "process_upload"]


@dataclass(frozen=True)
class Processed:
    kind: MediaKind
    # What the bytes are (never what the client declared).
    content_type: str
    # "display" (long side 1080) and "thumb" (long side 360), JPEG; a video adds "video", its own
    # file remuxed, and its display and thumb are made from its poster frame.
    renditions: dict[str, Rendition] = field(default_factory=dict)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


def process_upload(data: bytes, *, max_bytes: Mapping[MediaKind, int] = LIMITS) -> Processed:
    """Renditions of an upload, or `MediaRejectedError(reason)`."""
    identified = media_inspect.identify(data)
    limit = max_bytes[identified.kind]
    if len(data) > limit:
        raise MediaRejectedError("too_large", f"{len(data)} bytes, at most {limit}")
    if identified.kind == "image":
        image = media_images.render(data)
        return Processed(
            kind="image",
            content_type=identified.content_type,
            renditions=image.renditions,
            width=image.width,
            height=image.height,
        )
    video = media_video.render(data)
    return Processed(
        kind="video",
        content_type=identified.content_type,
        renditions=video.renditions,
        width=video.width,
        height=video.height,
        duration_s=video.duration_s,
    )
