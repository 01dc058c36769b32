"""The pictures we serve: a display rendition and a thumbnail, re-encoded by us, carrying nothing
but pixels.

JPEG, not WebP: every WeChat client version and every image component shows it, and the renditions
are small (long side 1080 and 360). Colours are converted to sRGB from an embedded ICC profile, then
the profile is dropped with everything else the original carried (EXIF with GPS, XMP, comments):
each rendition is a new image made from pixel values alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageCms

DISPLAY_LONG_SIDE = 1080
THUMB_LONG_SIDE = 360
# name -> (long side, JPEG quality)
SIZES: dict[str, tuple[int, int]] = {"display": (DISPLAY_LONG_SIDE, 85), "thumb": (THUMB_LONG_SIDE, 80)}
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    # File extension for its S3 key (`media_rules.rendition_key`).
    extension: str
    width: int | None = None
    height: int | None = None


def to_srgb(picture: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: colour-managed from the embedded profile, alpha flattened onto white."""
    if picture.mode.startswith("I"):
        # 16-bit greyscale (a PNG): scaled to 8 bits; a plain conversion would clip it to white.
        picture = picture.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    icc = picture.info.get("icc_profile")
    if icc and picture.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            output_mode = "RGBA" if picture.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(picture, source, _SRGB, outputMode=output_mode)
            if converted is not None:
                picture = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            # A broken or mismatched profile: its pixels as they are, rather than refusing a photo.
            pass
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return picture.convert("RGB")


def jpeg_renditions(picture: Image.Image) -> dict[str, Rendition]:
    """`display` and `thumb` of an upright sRGB picture (never enlarged)."""
    renditions: dict[str, Rendition] = {}
    for name, (long_side, quality) in SIZES.items():
        resized = picture.copy()
        resized.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        # A new image from the pixel values: no info dict, no EXIF, no profile can ride along.
        clean = Image.frombytes("RGB", resized.size, resized.convert("RGB").tobytes())
        buffer = io.BytesIO()
        clean.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        renditions[name] = Rendition(buffer.getvalue(), "image/jpeg", "jpg", clean.width, clean.height)
    return renditions
