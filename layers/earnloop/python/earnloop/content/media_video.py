"""An uploaded video checked and made servable: mutagen reads the container, PyAV makes the rest.

mutagen (pure Python, maintained) parses the MP4/QuickTime atoms and the duration first: a file
that is not a well-formed container, or is outside 15-60 s, is refused before FFmpeg sees it. PyAV
(FFmpeg's libraries, pinned wheels) then, with the demuxer forced to MP4/QuickTime so no other
format is probed:
- takes a poster frame about a second in (rotated as the container says) for the `display` and
  `thumb` renditions, which is also the picture image moderation checks;
- remuxes the streams, without re-encoding, into a new MP4 (`video`) with none of the original's
  metadata: phones write the place a video was shot into the container (`©xyz`).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
from mutagen import MutagenError
from mutagen.mp4 import MP4
from PIL import Image

from earnloop.content.media_images import MAX_PIXELS
from earnloop.content.media_rejected import MediaRejectedError
from earnloop.content.media_renditions import Rendition, jpeg_renditions, to_srgb

MIN_DURATION_S = 15.0
MAX_DURATION_S = 60.0
# The poster is the first frame at or after this time (the very first is often black).
POSTER_AT_S = 1.0
# Frames decoded at most while looking for the poster (from the keyframe before it).
POSTER_MAX_FRAMES = 300
# FFmpeg's demuxer for MP4 and QuickTime; forced, so the bytes are never probed as another format.
DEMUXER = "mov"


@dataclass(frozen=True)
class RenderedVideo:
    renditions: dict[str, Rendition]
    width: int
    height: int
    duration_s: float


def duration_of(data: bytes) -> float:
    """The container's duration per mutagen, or `MediaRejectedError("damaged")`."""
    try:
        info = MP4(io.BytesIO(data)).info
    except (MutagenError, ValueError, EOFError) as error:
        raise MediaRejectedError("damaged", f"not a readable MP4/QuickTime container: {error}") from error
    if info is None:
        raise MediaRejectedError("damaged", "the container has no movie header")
    return float(info.length)


def render(data: bytes) -> RenderedVideo:
    duration = duration_of(data)
    if duration < MIN_DURATION_S:
        raise MediaRejectedError("too_short", f"{duration:.1f} s, at least {MIN_DURATION_S:.0f} s")
    if duration > MAX_DURATION_S:
        raise MediaRejectedError("too_long", f"{duration:.1f} s, at most {MAX_DURATION_S:.0f} s")
    try:
        poster, width, height = _poster(data)
        video = _remux(data)
    except (av.error.FFmpegError, ValueError, IndexError) as error:
        raise MediaRejectedError("damaged", str(error)) from error
    renditions = jpeg_renditions(to_srgb(poster))
    renditions["video"] = Rendition(video, "video/mp4", "mp4", width, height)
    return RenderedVideo(renditions, width, height, round(duration, 3))


def _poster(data: bytes) -> tuple[Image.Image, int, int]:
    """The poster frame, upright, and the video's upright width and height."""
    with av.open(io.BytesIO(data), mode="r", format=DEMUXER) as container:
        if not container.streams.video:
            raise MediaRejectedError("no_video", "the container has no video track")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > MAX_PIXELS:
            raise MediaRejectedError("too_many_pixels", f"{width}x{height}")
        if stream.time_base is not None:
            container.seek(int(POSTER_AT_S / stream.time_base), stream=stream, backward=True)
        frame = None
        for count, decoded in enumerate(container.decode(stream)):
            frame = decoded
            if (decoded.time is not None and decoded.time >= POSTER_AT_S) or count >= POSTER_MAX_FRAMES:
                break
        if frame is None:
            raise MediaRejectedError("damaged", "no frame could be decoded")
        picture = frame.to_image()
        # The display matrix: degrees counter-clockwise to show the frame upright.
        rotation = int(frame.rotation or 0) % 360
    if rotation:
        picture = picture.rotate(rotation, expand=True)
    if rotation in (90, 270):
        width, height = height, width
    return picture, width, height


def _remux(data: bytes) -> bytes:
    """The video and (first) audio streams in a new MP4, moov first, no metadata copied.

    Written to a file in /tmp: moving the index to the front (`faststart`) is a second pass that
    FFmpeg makes by reopening the output by name, which an in-memory output does not have."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "video.mp4"
        with av.open(io.BytesIO(data), mode="r", format=DEMUXER) as source:
            streams = [source.streams.video[0], *source.streams.audio[:1]]
            with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as target:
                mapping = {stream.index: target.add_stream_from_template(stream) for stream in streams}
                for stream in streams:
                    # The MP4 muxer would tag HEVC `hev1`, which Apple's players refuse; an iPhone's
                    # `hvc1` (parameter sets in the sample entry) is kept.
                    if stream.codec_tag == "hvc1":
                        mapping[stream.index].codec_tag = "hvc1"
                for packet in source.demux(streams):
                    # The demuxer ends each stream with an empty packet.
                    if packet.dts is None:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    target.mux(packet)
        return path.read_bytes()
