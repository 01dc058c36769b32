"""The media worker's image processing, on the real files of `shared/testdata/images`."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from earnloop.content.media_processing import MediaRejectedError, Processed, process_upload
from earnloop.content.media_renditions import to_srgb
from earnloop.content.media_stream_end import check_end
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageOps, ImageStat

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT.parent / "shared" / "testdata" / "images"
GPS = ExifTags.IFD.GPSInfo


def _read(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _rejected(data: bytes) -> str:
    with pytest.raises(MediaRejectedError) as caught:
        process_upload(data)
    return caught.value.reason


def _png(width: int, height: int, *, rgba: bool = False, trailing: bytes = b"") -> bytes:
    """A real PNG of one colour, written by Pillow."""
    mode, colour = ("RGBA", (200, 30, 30, 0)) if rgba else ("RGB", (200, 30, 30))
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue() + trailing


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims `width` x `height` over a few bytes of data: only a header read
    can refuse it cheaply."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _assert_nothing_but_pixels(rendition: bytes) -> None:
    image = _open(rendition)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
    assert b"Exif\x00\x00" not in rendition
    assert b"http://ns.adobe.com/xap" not in rendition


@pytest.mark.parametrize("name", ["gps_DSCN0010.jpg", "gps_DSCN0021.jpg", "Canon_40D.jpg", "IMG_5195.HEIC"])
def test_gps_and_every_other_metadata_are_gone_from_the_renditions(name: str) -> None:
    original = _read(name)
    with Image.open(io.BytesIO(original)) as source:
        assert source.getexif().get_ifd(GPS), "the test file carries GPS tags"

    processed = process_upload(original)

    assert set(processed.renditions) == {"display", "thumb"}
    for rendition in processed.renditions.values():
        assert rendition.content_type == "image/jpeg"
        _assert_nothing_but_pixels(rendition.data)


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.mark.parametrize(
    ("name", "stored", "upright"),
    [
        ("orientation_landscape_6.jpg", (450, 600), (600, 450)),
        ("orientation_portrait_8.jpg", (600, 450), (450, 600)),
    ],
)
def test_exif_orientation_is_applied_so_the_rendition_stands_upright(
    name: str, stored: tuple[int, int], upright: tuple[int, int]
) -> None:
    original = _open(_read(name))
    assert original.size == stored

    processed = process_upload(_read(name))
    display = _open(processed.renditions["display"].data)

    assert (processed.width, processed.height) == upright
    assert display.size == upright
    # Upright, in the colours of the rendition (the file's "Generic RGB" profile converted to sRGB).
    expected = to_srgb(ImageOps.exif_transpose(original))
    # Every other way the stored pixels could have been turned to that shape.
    wrong = [
        to_srgb(original.transpose(turn))
        for turn in (
            Image.Transpose.ROTATE_90,
            Image.Transpose.ROTATE_270,
            Image.Transpose.TRANSPOSE,
            Image.Transpose.TRANSVERSE,
        )
        if original.transpose(turn).size == expected.size
    ]
    assert len(wrong) == 4
    assert _difference(display, expected) < 4
    # Exactly one turn is the right one (the one EXIF asks for), and every other is far off.
    assert sorted(_difference(display, other) < 4 for other in wrong) == [False, False, False, True]
    assert all(_difference(display, other) > 30 for other in wrong if _difference(display, other) >= 4)
    # The thumbnail too: long side 360, same picture.
    thumb = _open(processed.renditions["thumb"].data)
    assert max(thumb.size) == 360
    assert _difference(thumb, expected.resize(thumb.size)) < 6


def test_a_heic_photo_is_accepted_and_rendered_at_1080_and_360() -> None:
    processed = process_upload(_read("IMG_5195.HEIC"))

    assert (processed.kind, processed.content_type) == ("image", "image/heic")
    assert (processed.width, processed.height) == (2566, 3313)
    assert _open(processed.renditions["display"].data).size == (836, 1080)
    assert _open(processed.renditions["thumb"].data).size == (279, 360)


def test_a_heif_photo_is_accepted() -> None:
    processed = process_upload(_read("samplefilehub.heif"))

    assert processed.kind == "image"
    assert processed.content_type in ("image/heic", "image/heif")
    assert (processed.width, processed.height) == (640, 426)


def test_a_large_phone_photo_is_scaled_to_a_long_side_of_1080_and_small_ones_are_never_enlarged() -> None:
    large = process_upload(_read("mobile_jolla.jpg"))
    small = process_upload(_read("gps_DSCN0010.jpg"))

    assert (large.width, large.height) == (3264, 2448)
    assert _open(large.renditions["display"].data).size == (1080, 810)
    assert _open(large.renditions["thumb"].data).size == (360, 270)
    assert _open(small.renditions["display"].data).size == (640, 480)


@pytest.mark.parametrize("name", ["html_disguised.jpg", "script.svg"])
def test_files_disguised_as_images_are_refused_as_unsupported(name: str) -> None:
    assert _rejected(_read(name)) == "unsupported_type"


def test_formats_pillow_reads_but_we_do_not_accept_are_refused() -> None:
    for image_format in ("GIF", "BMP", "TIFF"):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, image_format)
        assert _rejected(buffer.getvalue()) == "unsupported_type", image_format


@pytest.mark.parametrize("name", ["truncated_DSCN0010.jpg", "corrupted.jpg"])
def test_truncated_and_damaged_jpegs_are_refused(name: str) -> None:
    assert _rejected(_read(name)) == "damaged"


def test_a_truncated_png_is_refused() -> None:
    whole = _png(300, 200)

    assert _rejected(whole[: len(whole) // 2]) == "damaged"


def test_the_jpeg_labelled_invalid_decodes_cleanly_and_is_accepted() -> None:
    # Its structure is complete (segments, one scan, end marker, nothing after) and libjpeg decodes
    # it without error: nothing about it is damaged that a reader could see.
    processed = process_upload(_read("invalid_image01137.jpg"))

    assert (processed.width, processed.height) == (88, 64)
    _assert_nothing_but_pixels(processed.renditions["display"].data)


def test_a_polyglot_with_a_payload_after_the_jpeg_end_is_refused() -> None:
    polyglot = _read("polyglot_php.jpg")
    end = polyglot.index(b"<?php")

    assert _rejected(polyglot) == "trailing_data"
    # The same JPEG without its payload is a fine photo.
    assert process_upload(polyglot[:end]).kind == "image"


def test_a_multi_picture_jpeg_as_phones_write_is_accepted_but_not_with_a_payload_behind_it() -> None:
    # Phones append depth or gain maps as further JPEGs after the first one's end (MPF).
    buffer = io.BytesIO()
    photo, gain_map = Image.new("RGB", (200, 100), (200, 10, 10)), Image.new("L", (100, 50), 90)
    photo.save(buffer, "MPO", save_all=True, append_images=[gain_map.convert("RGB")])
    mpo = buffer.getvalue()

    processed = process_upload(mpo)

    assert (processed.content_type, processed.width, processed.height) == ("image/jpeg", 200, 100)
    assert _rejected(mpo + b"<?php system($_GET['c']); ?>") == "trailing_data"


def test_payloads_after_a_png_or_webp_are_refused_too_but_padding_is_not() -> None:
    webp = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(webp, "WEBP")

    assert _rejected(_png(40, 30, trailing=b"<script>alert(1)</script>")) == "trailing_data"
    assert _rejected(webp.getvalue() + b"<?php echo 1; ?>") == "trailing_data"
    assert process_upload(_png(40, 30, trailing=b"\x00" * 16)).content_type == "image/png"
    assert process_upload(webp.getvalue()).content_type == "image/webp"


def test_a_transparent_png_is_flattened_onto_white() -> None:
    processed = process_upload(_png(64, 48, rgba=True))
    display = _open(processed.renditions["display"].data)

    assert display.mode == "RGB"
    assert display.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)


def test_a_16_bit_greyscale_png_keeps_its_grey() -> None:
    buffer = io.BytesIO()
    Image.new("I;16", (40, 30), 32768).save(buffer, "PNG")

    display = _open(process_upload(buffer.getvalue()).renditions["display"].data)

    assert display.getpixel((5, 5)) == pytest.approx((128, 128, 128), abs=3)


def test_the_pixel_limit_is_checked_on_the_header_before_any_decoding() -> None:
    # 60 MP: above our 50 MP limit and below Pillow's own bomb warning (89 MP).
    assert _rejected(_png_header_only(10_000, 6_000)) == "too_many_pixels"


def test_a_file_over_its_size_class_is_refused() -> None:
    data = _read("gps_DSCN0010.jpg")

    with pytest.raises(MediaRejectedError) as caught:
        process_upload(data, max_bytes={"image": len(data) - 1, "video": 50 * 1024 * 1024})
    assert caught.value.reason == "too_large"


BOMB_PROBE = """
import json, resource, sys
from earnloop.content.media_processing import MediaRejectedError, process_upload
data = open(sys.argv[1], "rb").read()
process_upload(open(sys.argv[2], "rb").read())  # warm every import and allocator pool
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    process_upload(data)
    reason = None
except MediaRejectedError as error:
    reason = error.reason
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"reason": reason, "grew_kb": after - before, "peak_kb": after}))
"""


def _measure(path: Path) -> dict[str, int | str | None]:
    """Processes `path` in a fresh interpreter, so the peak resident size is the processing's own."""
    result = subprocess.run(
        [sys.executable, "-c", BOMB_PROBE, str(path), str(IMAGES / "Canon_40D.jpg")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(json.loads(result.stdout))


def test_the_decompression_bomb_is_refused_without_decoding_it() -> None:
    # 1.5 MB on disk, 40000 x 40000: decoded it would take 1.6 GB (4.8 GB as RGB).
    measured = _measure(IMAGES / "bomb_40000x40000.png")

    assert measured["reason"] == "too_many_pixels"
    # Reading the file and its header: a few MB at most, nowhere near a decoded image.
    assert measured["grew_kb"] < 20 * 1024, measured


def test_a_48_megapixel_jpeg_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    # 8000 x 6000 is 144 MB as RGB; libjpeg decodes it at 1/4 scale (2000 x 1500) for a 1080 display.
    photo = tmp_path / "48mp.jpg"
    Image.new("RGB", (8000, 6000), (90, 120, 200)).save(photo, quality=90)

    measured = _measure(photo)

    assert measured["reason"] is None
    assert measured["grew_kb"] < 64 * 1024, measured


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_the_jpeg_structure_check_only_ever_refuses_arbitrary_bytes(tail: bytes) -> None:
    for data in (b"\xff\xd8" + tail, b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x02" + tail):
        try:
            check_end("JPEG", data)
        except MediaRejectedError as error:
            assert error.reason in ("damaged", "trailing_data")


def test_processed_reports_what_the_bytes_are_not_what_was_declared() -> None:
    processed: Processed = process_upload(_png(20, 10))

    assert (processed.kind, processed.content_type, processed.width, processed.height) == (
        "image",
        "image/png",
        20,
        10,
    )
