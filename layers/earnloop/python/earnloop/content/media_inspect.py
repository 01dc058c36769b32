"""What an upload is, from its bytes alone: Pillow identifies images, the ISO BMFF brand videos.

The name the client gave the file and the content type it declared play no part: an HTML page or
an SVG named `.jpg` matches no accepted format and is refused as `unsupported_type`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, UnidentifiedImageError

from earnloop.content.media_rejected import MediaRejectedError
from earnloop.content.media_rules import MediaKind

pillow_heif.register_heif_opener()

# Pillow format -> content type. Only these plugins are tried (Pillow would otherwise also accept
# GIF, BMP, TIFF, ICO, PSD, EPS... each one more parser exposed to hostile bytes). MPO is a JPEG
# with extra pictures appended (phones' depth and gain maps).
IMAGE_FORMATS: dict[str, str] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
}
# The plugins `Image.open` may use ("MPO" is returned by the JPEG plugin itself).
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# ftyp major brands of HEIC proper (HEVC-coded); other HEIF brands keep image/heif.
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
# ftyp major brands of MP4 and QuickTime video as cameras and phones write them. HEIF, AVIF and
# audio-only brands (M4A) are not videos.
QUICKTIME_BRANDS = {b"qt  "}
MP4_BRANDS = {
    *(b"iso" + bytes([c]) for c in b"m23456"),
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VP",
    b"mmp4",
    b"MSNV",
    b"XAVC",
    b"3gp4",
    b"3gp5",
    b"3gp6",
    b"3g2a",
}
# QuickTime files from before the ftyp box start straight with one of these atoms.
QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip"}


@dataclass(frozen=True)
class Identified:
    kind: MediaKind
    content_type: str
    # The Pillow format of an image, "mp4" or "quicktime" for a video.
    format: str


def open_image(data: bytes) -> Image.Image:
    """The image, opened from its header only (no pixel decoded yet), from the accepted plugins.

    Pillow's own bomb check runs here: its warning (over ~89 MP) is made an error too, so nothing
    past the limit goes on to be decoded. `UnidentifiedImageError` when no accepted format matches.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=OPEN_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise MediaRejectedError("too_many_pixels", str(error)) from error


def identify(data: bytes) -> Identified:
    """The accepted type the bytes are, or `MediaRejectedError("unsupported_type")`."""
    try:
        with open_image(data) as image:
            image_format = image.format or ""
    except UnidentifiedImageError:
        image_format = ""
    if image_format in IMAGE_FORMATS:
        content_type = IMAGE_FORMATS[image_format]
        if image_format == "HEIF" and data[8:12] in HEIC_BRANDS:
            content_type = "image/heic"
        return Identified("image", content_type, image_format)
    box = data[4:8]
    if box == b"ftyp":
        brand = data[8:12]
        if brand in QUICKTIME_BRANDS:
            return Identified("video", "video/quicktime", "quicktime")
        if brand in MP4_BRANDS:
            return Identified("video", "video/mp4", "mp4")
    elif box in QUICKTIME_ATOMS:
        return Identified("video", "video/quicktime", "quicktime")
    raise MediaRejectedError("unsupported_type", "not JPEG, PNG, WebP, HEIC/HEIF, MP4 or QuickTime")
