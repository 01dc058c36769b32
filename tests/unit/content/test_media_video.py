"""The media worker's video processing, on MP4s made here by PyAV (1 fps, tiny frames) and the two
small MP4s of `shared/testdata/video`."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import pytest
from earnloop.content.media_processing import MediaRejectedError, process_upload
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
VIDEOS = ROOT.parent / "shared" / "testdata" / "video"
# Where a phone says the video was shot (ISO 6709, as iPhones write it into ©xyz).
LOCATION = "+22.2855+114.1577/"
# The atoms a location is written into: QuickTime's ©xyz, 3GPP's loci (FFmpeg's mp4 muxer).
LOCATION_ATOMS = (b"\xa9xyz", b"loci")


def _colour(second: int) -> tuple[int, int, int]:
    """A different flat colour for each second, so the poster's time can be read off its pixels."""
    return ((40 * second) % 256, 255 - (40 * second) % 256, 90)


def make_video(
    seconds: int, *, container: str = "mp4", audio: bool = False, video: bool = True, size=(64, 48)
) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        output.metadata["location"] = LOCATION
        output.metadata["title"] = "shot at the beach"
        # Every stream is added before the first packet is muxed (that writes the header).
        width, height = size
        picture = (
            output.add_stream("mpeg4", rate=1, width=width, height=height, pix_fmt="yuv420p")
            if video
            else None
        )
        sound = output.add_stream("aac", rate=8000, layout="mono") if audio else None
        if picture is not None:
            for second in range(seconds):
                frame = av.VideoFrame.from_image(Image.new("RGB", size, _colour(second)))
                frame.pts = second
                frame.time_base = Fraction(1, 1)
                output.mux(picture.encode(frame))
            output.mux(picture.encode(None))
        if sound is not None:
            samples = 1024
            for index in range(seconds * 8000 // samples):
                chunk = av.AudioFrame(format="fltp", layout="mono", samples=samples)
                chunk.planes[0].update(bytes(samples * 4))
                chunk.sample_rate = 8000
                chunk.pts = index * samples
                chunk.time_base = Fraction(1, 8000)
                output.mux(sound.encode(chunk))
            output.mux(sound.encode(None))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def videos() -> Callable[..., bytes]:
    made: dict[tuple, bytes] = {}

    def get(seconds: int, **options) -> bytes:
        key = (seconds, tuple(sorted(options.items())))
        if key not in made:
            made[key] = make_video(seconds, **options)
        return made[key]

    return get


def _rejected(data: bytes) -> str:
    with pytest.raises(MediaRejectedError) as caught:
        process_upload(data)
    return caught.value.reason


def test_a_20_second_video_gets_a_poster_its_renditions_and_a_copy_without_its_location(videos) -> None:
    original = videos(20, audio=True)
    assert any(atom in original for atom in LOCATION_ATOMS), "the test video carries its location"

    processed = process_upload(original)

    assert (processed.kind, processed.content_type) == ("video", "video/mp4")
    assert (processed.width, processed.height) == (64, 48)
    assert processed.duration_s == pytest.approx(20, abs=0.2)
    assert set(processed.renditions) == {"display", "thumb", "video"}
    copy = processed.renditions["video"]
    assert copy.content_type == "video/mp4"
    assert not any(atom in copy.data for atom in LOCATION_ATOMS)
    assert LOCATION.encode() not in copy.data
    with av.open(io.BytesIO(copy.data)) as served:
        assert "location" not in served.metadata
        assert "title" not in served.metadata
        assert len(served.streams.video) == 1
        assert len(served.streams.audio) == 1
        assert float(served.duration / av.time_base) == pytest.approx(20, abs=0.6)
        # Streams copied, not re-encoded.
        assert served.streams.video[0].codec_context.name == "mpeg4"
    # moov before mdat: a client starts playing before it has the whole file.
    assert copy.data.index(b"moov") < copy.data.index(b"mdat")


def test_the_poster_is_the_frame_at_one_second_without_metadata(videos) -> None:
    processed = process_upload(videos(16))

    display = Image.open(io.BytesIO(processed.renditions["display"].data))
    assert display.format == "JPEG"
    assert display.size == (64, 48)
    assert dict(display.getexif()) == {}
    red, green, _ = display.getpixel((32, 24))
    assert (red, green) == pytest.approx(_colour(1)[:2], abs=12)
    thumb = Image.open(io.BytesIO(processed.renditions["thumb"].data))
    assert thumb.size == (64, 48)


@pytest.mark.parametrize(("seconds", "reason"), [(14, "too_short"), (61, "too_long")])
def test_videos_outside_15_to_60_seconds_are_refused(videos, seconds: int, reason: str) -> None:
    assert _rejected(videos(seconds)) == reason


@pytest.mark.parametrize("seconds", [15, 60])
def test_15_and_60_seconds_are_both_accepted(videos, seconds: int) -> None:
    assert process_upload(videos(seconds)).duration_s == pytest.approx(seconds, abs=0.2)


@pytest.mark.parametrize("name", ["Mpeg4.mp4", "mp4-with-audio.mp4"])
def test_the_small_testdata_mp4s_are_valid_containers_but_too_short(name: str) -> None:
    assert _rejected((VIDEOS / name).read_bytes()) == "too_short"


def test_a_quicktime_movie_is_identified_as_such_and_served_as_mp4(videos) -> None:
    original = videos(20, container="mov")
    assert b"\xa9xyz" in original

    processed = process_upload(original)

    assert processed.content_type == "video/quicktime"
    assert processed.renditions["video"].content_type == "video/mp4"
    assert not any(atom in processed.renditions["video"].data for atom in LOCATION_ATOMS)


def test_an_iphone_style_hevc_movie_keeps_the_hvc1_tag_apple_players_need() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mov") as output:
        stream = output.add_stream(
            "libx265", rate=1, width=64, height=48, pix_fmt="yuv420p", options={"log-level": "none"}
        )
        stream.codec_tag = "hvc1"
        for second in range(16):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), _colour(second)))
            frame.pts = second
            frame.time_base = Fraction(1, 1)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))

    processed = process_upload(buffer.getvalue())

    with av.open(io.BytesIO(processed.renditions["video"].data)) as served:
        (video,) = served.streams.video
        assert (video.codec_context.name, video.codec_tag) == ("hevc", "hvc1")


def test_a_phone_video_shot_upright_gets_an_upright_poster_and_keeps_its_display_matrix() -> None:
    # Stored landscape (left half red, right half blue) with a display matrix turning it a quarter
    # clockwise, as a phone held upright records.
    stored = Image.new("RGB", (64, 48), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 32, 48))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=1, width=64, height=48, pix_fmt="yuv420p")
        stream.set_display_rotation(-90)
        for second in range(16):
            frame = av.VideoFrame.from_image(stored)
            frame.pts = second
            frame.time_base = Fraction(1, 1)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))

    processed = process_upload(buffer.getvalue())
    poster = Image.open(io.BytesIO(processed.renditions["display"].data))

    assert (processed.width, processed.height) == (48, 64)
    assert poster.size == (48, 64)
    # Turned clockwise: the left half is now the top half.
    assert poster.getpixel((24, 8)) == pytest.approx((255, 0, 0), abs=12)
    assert poster.getpixel((24, 56)) == pytest.approx((0, 0, 255), abs=12)
    with av.open(io.BytesIO(processed.renditions["video"].data)) as served:
        assert next(served.decode(video=0)).rotation == -90


def test_an_audio_only_mp4_is_not_a_video(videos) -> None:
    assert _rejected(videos(20, video=False, audio=True)) == "no_video"


def test_a_truncated_video_is_refused_as_damaged(videos) -> None:
    whole = videos(20)

    # mp4 writes moov last: without its tail there is no index to read.
    assert _rejected(whole[: len(whole) // 2]) == "damaged"


def test_an_mp4_over_its_size_class_is_refused(videos) -> None:
    data = videos(20)

    with pytest.raises(MediaRejectedError) as caught:
        process_upload(data, max_bytes={"image": 10 * 1024 * 1024, "video": len(data) - 1})
    assert caught.value.reason == "too_large"
