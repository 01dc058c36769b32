"""The media worker (`media_process`) on S3's notification of real uploaded files, under moto: the
outcome on the media item, renditions written without EXIF, the raw upload gone, redelivery harmless;
and `media_settle`: WeChat's asynchronous verdicts, and removed posts' media deleted."""

from __future__ import annotations

import io
from typing import Any

import pytest
from earnloop.content.media_store import media_key, trace_key
from earnloop.moderation import ImageVerdict
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal
from PIL import Image

from tests.integration.content.media_harness import (
    IMAGES,
    deliver,
    media,
    objects,
    process,
    solid_jpeg,
    start_upload,
    verdict,
)
from tests.support.lambdas import call_http, invoke, sample_body, sqs_event, stored

GPS_IFD = 0x8825


@pytest.mark.parametrize("name", ["gps_DSCN0010.jpg", "IMG_5195.HEIC"])
def test_a_photo_with_gps_becomes_ready_with_renditions_without_exif_and_the_raw_upload_goes(
    moto_cloud, name
) -> None:
    item = process(moto_cloud, IMAGES / name)

    assert (item["status"], item["moderation"], item["kind"]) == ("ready", "pass", "image")
    media_id = item["media_id"]
    assert set(item["renditions"]) == {"display", "thumb"}
    written = objects(moto_cloud, f"media/{media_id}/")
    assert set(written) == set(item["renditions"].values())
    for data in written.values():
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            assert not exif.get_ifd(GPS_IFD) and GPS_IFD not in exif
            assert max(image.size) <= 1080
    assert objects(moto_cloud, "uploads/") == {}
    # The owner now gets presigned GETs of the renditions, never of the raw upload.
    answer = call_http("media_get", token=moto_cloud.token("u1"), path_parameters={"media_id": media_id})
    assert answer.json["status"] == "ready"
    assert f"media/{media_id}/display" in answer.json["urls"]["display"]
    assert "X-Amz-Signature" in answer.json["urls"]["thumb"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("html_disguised.jpg", "unsupported_type"),
        ("script.svg", "unsupported_type"),
        ("truncated_DSCN0010.jpg", "damaged"),
        ("bomb_40000x40000.png", "too_many_pixels"),
    ],
)
def test_a_hostile_or_broken_file_is_rejected_with_its_reason_and_leaves_nothing(
    moto_cloud, name, reason
) -> None:
    item = process(moto_cloud, IMAGES / name)

    assert (item["status"], item["reason"]) == ("rejected", reason)
    assert objects(moto_cloud, "uploads/") == {}
    assert objects(moto_cloud, "media/") == {}


def test_an_image_moderation_rejects_is_rejected_and_its_renditions_are_deleted(moto_cloud) -> None:
    # The local provider rejects a mostly pure red image (earnloop.moderation.local).
    item = process(moto_cloud, solid_jpeg((230, 20, 20)))

    assert (item["status"], item["reason"]) == ("rejected", "moderation")
    assert objects(moto_cloud, "media/") == {} and objects(moto_cloud, "uploads/") == {}


def test_an_image_moderation_sends_to_review_is_ready_in_review(moto_cloud) -> None:
    item = process(moto_cloud, solid_jpeg((20, 20, 230)))

    assert (item["status"], item["moderation"]) == ("ready", "review")


def test_a_redelivered_notification_neither_processes_again_nor_flips_the_outcome(moto_cloud) -> None:
    media_id = start_upload(moto_cloud)
    data = (IMAGES / "gps_DSCN0021.jpg").read_bytes()
    deliver(moto_cloud, "u1", media_id, data)
    first = media(moto_cloud, media_id)

    # The same object's notification again (raw already deleted), then the raw object again under
    # the same key (a client re-using its form within its expiry).
    assert deliver(moto_cloud, "u1", media_id) == {"batchItemFailures": []}
    assert deliver(moto_cloud, "u1", media_id, solid_jpeg((230, 20, 20))) == {"batchItemFailures": []}

    assert media(moto_cloud, media_id) == first
    assert objects(moto_cloud, "uploads/") == {}
    assert set(objects(moto_cloud, f"media/{media_id}/")) == set(first["renditions"].values())


def test_a_notification_for_a_raw_upload_that_is_gone_rejects_a_pending_item_as_missing(moto_cloud) -> None:
    media_id = start_upload(moto_cloud)

    assert deliver(moto_cloud, "u1", media_id) == {"batchItemFailures": []}

    assert (media(moto_cloud, media_id)["status"], media(moto_cloud, media_id)["reason"]) == (
        "rejected",
        "missing",
    )


def test_an_object_under_another_users_prefix_is_deleted_and_changes_no_item(moto_cloud) -> None:
    media_id = start_upload(moto_cloud, "u1")

    deliver(moto_cloud, "u2", media_id, solid_jpeg((10, 200, 10)))

    assert media(moto_cloud, media_id)["status"] == "pending"
    assert objects(moto_cloud, "uploads/") == {}


class PendingModeration:
    """WeChat's shape of answer: the image is fetched later from the URL; the verdict comes by push."""

    name = "wechat"

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def check_image(
        self, *, image: bytes, url: str | None, openid: str | None, subject_id: str
    ) -> ImageVerdict:
        self.asked.append({"url": url, "openid": openid, "subject_id": subject_id})
        return ImageVerdict(outcome="pending", trace_id=f"trace-{subject_id}", labels=(), provider=self.name)


@pytest.fixture
def wechat_checks(monkeypatch: pytest.MonkeyPatch) -> PendingModeration:
    import earnloop.moderation

    checks = PendingModeration()
    monkeypatch.setattr(earnloop.moderation, "moderation_from_settings", lambda: checks)
    return checks


@pytest.mark.parametrize(
    ("outcome", "status"), [("pass", "ready"), ("review", "ready"), ("reject", "rejected")]
)
def test_a_wechat_check_keeps_the_item_pending_until_its_verdict_settles_it_once(
    moto_cloud, wechat_checks, outcome, status
) -> None:
    item = process(moto_cloud, IMAGES / "gps_DSCN0010.jpg")
    media_id = item["media_id"]
    (asked,) = wechat_checks.asked
    assert asked["subject_id"] == media_id and f"media/{media_id}/display" in asked["url"]
    assert (item["status"], item["moderation"], item["trace_id"]) == (
        "pending",
        "pending",
        f"trace-{media_id}",
    )
    table = moto_cloud.settings.table_name("content")
    assert stored(table, trace_key(f"trace-{media_id}"))["media_id"] == media_id  # type: ignore[index]

    assert invoke("media_settle", verdict(f"trace-{media_id}", outcome)) == {"batchItemFailures": []}
    settled = media(moto_cloud, media_id)
    # A repeated verdict, even a contrary one, changes nothing.
    contrary = "pass" if outcome == "reject" else "reject"
    assert invoke("media_settle", verdict(f"trace-{media_id}", contrary)) == {"batchItemFailures": []}

    assert settled["status"] == status and media(moto_cloud, media_id) == settled
    if status == "ready":
        assert settled["moderation"] == outcome
    else:
        assert settled["reason"] == "moderation" and objects(moto_cloud, "media/") == {}


def test_a_verdict_for_a_check_this_area_never_asked_is_ignored(moto_cloud) -> None:
    assert invoke("media_settle", verdict("trace-of-someone-else", "reject")) == {"batchItemFailures": []}


def test_a_redelivered_notification_while_a_wechat_check_is_pending_asks_no_second_time(
    moto_cloud, wechat_checks
) -> None:
    media_id = start_upload(moto_cloud)
    deliver(moto_cloud, "u1", media_id, (IMAGES / "gps_DSCN0010.jpg").read_bytes())

    deliver(moto_cloud, "u1", media_id)

    assert len(wechat_checks.asked) == 1
    assert media(moto_cloud, media_id)["trace_id"] == f"trace-{media_id}"


def post_removed(post_id: str, media_ids: list[str]) -> dict[str, Any]:
    body = sample_body("sqs/media_settle.json")
    body.update({"detail-type": "PostRemoved", "source": "earnloop.content"})
    body["detail"] = {
        "post_id": post_id,
        "author_id": "u1",
        "by": "author",
        "was_published": True,
        "media_ids": media_ids,
        "event_id": "e:0",
        "occurred_at": "2026-12-02T10:00:00Z",
    }
    return sqs_event("sqs/media_settle.json", body)


def claim(cloud: Any, media_id: str, post_id: str) -> None:
    """What the posts area's create does to a media item its post takes."""
    aws.dynamodb().update_item(
        TableName=cloud.settings.table_name("content"),
        Key=marshal(media_key(media_id)),
        UpdateExpression="SET post_id = :post",
        ExpressionAttributeValues=marshal({":post": post_id}),
    )


def test_a_removed_posts_media_go_renditions_items_and_all_and_no_one_elses(moto_cloud) -> None:
    kept = process(moto_cloud, IMAGES / "gps_DSCN0021.jpg")["media_id"]
    removed = process(moto_cloud, IMAGES / "gps_DSCN0010.jpg")["media_id"]
    pending = start_upload(moto_cloud)
    claim(moto_cloud, kept, "post-kept")
    claim(moto_cloud, removed, "post-gone")
    claim(moto_cloud, pending, "post-gone")

    event = post_removed("post-gone", [removed, pending, kept])
    assert invoke("media_settle", event) == {"batchItemFailures": []}
    assert invoke("media_settle", event) == {"batchItemFailures": []}

    table = moto_cloud.settings.table_name("content")
    assert stored(table, media_key(removed)) is None and stored(table, media_key(pending)) is None
    assert objects(moto_cloud, f"media/{removed}/") == {}
    assert media(moto_cloud, kept)["status"] == "ready"
    assert set(objects(moto_cloud, f"media/{kept}/")) == set(media(moto_cloud, kept)["renditions"].values())


def test_a_video_in_range_is_ready_with_its_file_and_poster_renditions_and_a_short_one_is_rejected(
    moto_cloud,
) -> None:
    from tests.unit.content.test_media_video import make_video

    # Declared as a photo: the bytes decide (and the 10 MB class still bounded the upload).
    media_id = start_upload(moto_cloud, content_type="image/png")
    deliver(moto_cloud, "u1", media_id, make_video(16))
    item = media(moto_cloud, media_id)

    assert (item["status"], item["kind"], item["moderation"]) == ("ready", "video", "pass")
    assert item["content_type"] == "video/mp4"
    assert {"video", "display", "thumb"} <= set(item["renditions"]) and item["duration_s"] >= 15
    assert set(objects(moto_cloud, f"media/{media_id}/")) == set(item["renditions"].values())
    urls = call_http("media_get", token=moto_cloud.token("u1"), path_parameters={"media_id": media_id}).json[
        "urls"
    ]
    assert f"media/{media_id}/video" in urls["video"] and f"media/{media_id}/display" in urls["display"]
    assert objects(moto_cloud, "uploads/") == {}

    short = start_upload(moto_cloud, content_type="video/mp4")
    deliver(moto_cloud, "u1", short, make_video(5))
    assert (media(moto_cloud, short)["status"], media(moto_cloud, short)["reason"]) == (
        "rejected",
        "too_short",
    )
