"""An uploaded image made into renditions: header checks first, then one bounded decode.

The pixel limit is checked on the size the header declares, before any pixel is decoded, so a
decompression bomb (a 1.5 MB PNG of 1.6 gigapixels) costs a header read. A JPEG is decoded at
the smallest scale libjpeg offers that still covers the display size (`draft`). Truncated or
corrupt data fails the decode: `ImageFile.LOAD_TRUNCATED_IMAGES` stays off.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from earnloop.content.media_inspect import open_image
from earnloop.content.media_rejected import MediaRejectedError
from earnloop.content.media_renditions import DISPLAY_LONG_SIDE, Rendition, jpeg_renditions, to_srgb
from earnloop.content.media_stream_end import check_end

# 50 megapixels: a 48 MP phone photo (8064 x 6048) passes; decoded as RGB it is 150 MB.
MAX_PIXELS = 50_000_000
# EXIF orientations 5 to 8 turn the picture a quarter: its upright width is its stored height.
ORIENTATION = ExifTags.Base.Orientation


@dataclass(frozen=True)
class RenderedImage:
    renditions: dict[str, Rendition]
    # Of the upright original.
    width: int
    height: int


def render(data: bytes) -> RenderedImage:
    try:
        image = open_image(data)
    except UnidentifiedImageError as error:
        raise MediaRejectedError("unsupported_type", str(error)) from error
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise MediaRejectedError("too_many_pixels", f"{width}x{height}")
        check_end(image.format or "", data)
        # JPEG only (other formats ignore it): decode at 1/2, 1/4 or 1/8 scale when that still
        # leaves both sides at least the display size.
        image.draft("RGB", (DISPLAY_LONG_SIDE, DISPLAY_LONG_SIDE))
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise MediaRejectedError("damaged", str(error)) from error
        quarter_turn = image.getexif().get(ORIENTATION) in (5, 6, 7, 8)
        # Down to the display size first, in place: turning, colour conversion and the renditions
        # then copy a 1080 px picture, not a 48 MP one (a HEIC is decoded at full size).
        image.thumbnail((DISPLAY_LONG_SIDE, DISPLAY_LONG_SIDE), Image.Resampling.LANCZOS)
        picture = to_srgb(ImageOps.exif_transpose(image))
    if quarter_turn:
        width, height = height, width
    return RenderedImage(jpeg_renditions(picture), width, height)
