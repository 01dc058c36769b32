"""Where an image's byte stream ends: bytes after it make the file a polyglot.

Pillow stops decoding at a JPEG's end marker or a PNG's IEND chunk and says nothing about what
follows, and it hides libjpeg's "corrupt data" warnings; so the stream's structure is checked here:
a JPEG's segments by their lengths, its entropy-coded data up to the next marker, its end; PNG's
chunks up to IEND; WebP's RIFF length. Nothing here decodes pixels. A payload after the end (a PHP
script behind a valid JPEG) or a stray marker inside the scan (a damaged file) is refused.

HEIF is not walked: the container is ISO BMFF, parsed by libheif, and whatever rides in it never
reaches a reader because every rendition is re-encoded by us.
"""

from __future__ import annotations

from earnloop.content.media_rejected import MediaRejectedError

_SOI = 0xD8
_EOI = 0xD9
_SOS = 0xDA
# Markers without a length: restart markers (inside a scan) and TEM.
_STANDALONE = {*range(0xD0, 0xD8), 0x01}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_end(image_format: str, data: bytes) -> None:
    """Raises `MediaRejectedError("damaged")` unless the stream ends exactly where its format says."""
    if image_format == "JPEG":
        _only_padding(data, jpeg_end(data, 0))
    elif image_format == "MPO":
        # A multi-picture JPEG (phones append depth or gain maps): complete JPEG streams, one after
        # another, and nothing else.
        end = jpeg_end(data, 0)
        while data[end : end + 2] == b"\xff\xd8":
            end = jpeg_end(data, end)
        _only_padding(data, end)
    elif image_format == "PNG":
        _only_padding(data, png_end(data))
    elif image_format == "WEBP":
        _only_padding(data, webp_end(data))


def jpeg_end(data: bytes, start: int) -> int:
    """Offset just past the end marker of the JPEG stream starting at `start`."""
    if data[start : start + 2] != b"\xff\xd8":
        raise MediaRejectedError("damaged", "no JPEG start marker")
    i = start + 2
    size = len(data)
    while True:
        if i >= size or data[i] != 0xFF:
            raise MediaRejectedError("damaged", f"no JPEG marker at {i}")
        while i < size and data[i] == 0xFF:  # fill bytes may precede a marker
            i += 1
        if i >= size:
            raise MediaRejectedError("damaged", "JPEG ends inside a marker")
        marker = data[i]
        i += 1
        if marker == _EOI:
            return i
        if marker in _STANDALONE:
            continue
        if marker == _SOI:
            raise MediaRejectedError("damaged", f"JPEG start marker inside the stream at {i}")
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2 or i + length > size:
            raise MediaRejectedError("damaged", f"JPEG segment {marker:#x} runs past the end")
        i += length
        if marker == _SOS:
            i = _scan_end(data, i)


def _scan_end(data: bytes, i: int) -> int:
    """Offset of the marker that ends entropy-coded data starting at `i`.

    Inside a scan 0xFF is followed by 0x00 (a stuffed byte) or a restart marker; anything else is
    the next marker."""
    size = len(data)
    while True:
        j = data.find(b"\xff", i)
        if j < 0 or j + 1 >= size:
            raise MediaRejectedError("damaged", "JPEG scan runs past the end (truncated)")
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            i = j + 2
        elif following == 0xFF:
            i = j + 1
        else:
            return j


def png_end(data: bytes) -> int:
    """Offset just past the IEND chunk (chunks are length, type, data, CRC)."""
    if not data.startswith(_PNG_SIGNATURE):
        raise MediaRejectedError("damaged", "no PNG signature")
    i = len(_PNG_SIGNATURE)
    while i + 8 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            break
        if kind == b"IEND":
            return end
        i = end
    raise MediaRejectedError("damaged", "PNG has no IEND chunk (truncated)")


def webp_end(data: bytes) -> int:
    """Offset just past the RIFF container (its length is in the header; chunks are padded to even)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MediaRejectedError("damaged", "no RIFF/WEBP header")
    length = int.from_bytes(data[4:8], "little")
    end = 8 + length + (length & 1)
    if end > len(data):
        raise MediaRejectedError("damaged", "WebP shorter than its RIFF length (truncated)")
    return end


def _only_padding(data: bytes, end: int) -> None:
    # Some encoders pad files with zeros or 0xFF; anything else after the end is a payload.
    trailing = data[end:]
    if trailing.strip(b"\x00\xff"):
        raise MediaRejectedError("trailing_data", f"{len(trailing)} bytes after the end of the image")
