"""Why an upload is refused: one exception with a stable reason word the media item records."""

from __future__ import annotations

from typing import Literal

# Stable words: they are stored on the media item, shown to the author and matched by clients.
RejectReason = Literal[
    # Not JPEG, PNG, WebP, HEIC/HEIF, MP4 or QuickTime by its bytes (whatever it was named).
    "unsupported_type",
    # An accepted type that does not decode cleanly: truncated or corrupt.
    "damaged",
    # Bytes after the image's end (a polyglot: a valid JPEG carrying a script behind it).
    "trailing_data",
    "too_large",
    # Width x height over the limit, read from the header before anything is decoded.
    "too_many_pixels",
    "too_short",
    "too_long",
    # A video container with no video track (an audio file named .mp4).
    "no_video",
]


class MediaRejectedError(Exception):
    """The upload cannot become media; `reason` is one of `RejectReason`."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: RejectReason = reason
        self.detail = detail
