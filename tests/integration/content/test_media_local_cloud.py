"""On the local cloud, over real HTTP: a client uploads with the presigned POST it was given, the
local S3 front checks the policy as S3 would, the media worker runs from S3's notification, and the
owner reads the item ready with rendition URLs that serve the JPEGs."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest
import requests
from earnloop.content.media_store import media_key
from earnloop.identity.models import User
from earnloop.identity.store import user_key
from earnloop.local.cloud import LocalCloud
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from PIL import Image

from tests.conftest import TESTDATA
from tests.support.lambdas import call_http

if TYPE_CHECKING:
    from collections.abc import Iterator

PHOTO = (TESTDATA / "images" / "gps_DSCN0010.jpg").read_bytes()


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(dynamodb="moto") as running:
        yield running


def token(cloud: LocalCloud, user_id: str) -> str:
    """A session for a user who exists (as after a login), with an openid for WeChat's checks."""
    assert cloud.settings is not None
    user = User(user_id=user_id, created_at="2026-12-02T00:00:00.000Z", wx_openid=f"openid-{user_id}")
    aws.dynamodb().put_item(
        TableName=cloud.settings.table_name("identity"),
        Item=marshal({**user_key(user_id), "entity": "User", **user.model_dump()}),
    )
    return cloud.token(user_id)


def start(cloud: LocalCloud, user_id: str, content_type: str = "image/jpeg") -> dict[str, Any]:
    answer = call_http(
        "media_uploads_create",
        token=token(cloud, user_id),
        body={"content_type": content_type, "size": len(PHOTO)},
    )
    assert answer.status == 201, answer.body
    return answer.json  # type: ignore[no-any-return]


def post_form(upload: dict[str, Any], data: bytes, **changed: str) -> requests.Response:
    # As a mini-program's wx.uploadFile or a browser sends it: the fields, then the file last.
    fields = {**upload["fields"], **changed}
    return requests.post(
        upload["url"], data=fields, files={"file": ("photo.jpg", data, "image/jpeg")}, timeout=10
    )


def media(cloud: LocalCloud, media_id: str) -> dict[str, Any]:
    assert cloud.settings is not None
    found = aws.dynamodb().get_item(
        TableName=cloud.settings.table_name("content"), Key=marshal(media_key(media_id))
    )
    return unmarshal(found["Item"])


def raw_uploads(cloud: LocalCloud) -> list[str]:
    assert cloud.settings is not None
    listed = aws.client("s3").list_objects_v2(Bucket=cloud.settings.bucket_name("media"), Prefix="uploads/")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_real_multipart_upload_becomes_ready_media_with_served_renditions(cloud: LocalCloud) -> None:
    created = start(cloud, "buyer-1")
    assert created["upload"]["url"].startswith(cloud.endpoints.s3)  # type: ignore[union-attr]

    uploaded = post_form(created["upload"], PHOTO)

    assert uploaded.status_code == 204, uploaded.text
    cloud.pump_until_idle()
    answer = call_http(
        "media_get", token=cloud.token("buyer-1"), path_parameters={"media_id": created["media_id"]}
    )
    assert answer.status == 200 and answer.json["status"] == "ready", answer.body
    display = requests.get(answer.json["urls"]["display"], timeout=10)
    assert display.status_code == 200
    with Image.open(io.BytesIO(display.content)) as image:
        assert image.format == "JPEG" and max(image.size) <= 1080 and not image.getexif()
    assert media(cloud, created["media_id"])["openid"] == "openid-buyer-1"
    assert raw_uploads(cloud) == []


@pytest.mark.parametrize(
    ("changed", "status", "code"),
    [
        ({"Content-Type": "text/html"}, 403, "AccessDenied"),
        ({"key": "uploads/buyer-2/01JSOMEONEELSESMEDIA"}, 403, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, 403, "SignatureDoesNotMatch"),
        ({"acl": "public-read"}, 403, "AccessDenied"),
    ],
)
def test_a_client_breaking_the_policy_is_refused_as_s3_refuses_it_and_nothing_happens(
    cloud: LocalCloud, changed: dict[str, str], status: int, code: str
) -> None:
    created = start(cloud, "buyer-2")

    refused = post_form(created["upload"], PHOTO, **changed)

    assert refused.status_code == status
    assert refused.headers["content-type"] == "application/xml"
    assert f"<Code>{code}</Code>" in refused.text
    cloud.pump_until_idle()
    assert media(cloud, created["media_id"])["status"] == "pending"
    assert raw_uploads(cloud) == []


def test_a_file_larger_than_its_class_is_refused_before_it_is_stored(cloud: LocalCloud) -> None:
    created = start(cloud, "buyer-3")

    refused = post_form(created["upload"], b"\xff" * (10 * 1024 * 1024 + 1))

    assert refused.status_code == 400 and "<Code>EntityTooLarge</Code>" in refused.text
    cloud.pump_until_idle()
    assert media(cloud, created["media_id"])["status"] == "pending"
    assert raw_uploads(cloud) == []


def test_every_declared_bucket_is_provisioned_and_reached_through_the_front(cloud: LocalCloud) -> None:
    from earnloop.contexts import buckets

    assert cloud.settings is not None and cloud.endpoints is not None
    s3 = aws.client("s3")
    assert s3.meta.endpoint_url == cloud.endpoints.s3
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert names == {cloud.settings.bucket_name(b.name) for b in buckets()}


def test_from_a_real_upload_to_a_published_post_in_the_new_feed(cloud: LocalCloud) -> None:
    created = start(cloud, "buyer-4")
    assert post_form(created["upload"], PHOTO).status_code == 204
    author = cloud.token("buyer-4")

    # Posted at once, while the worker has not run: the post waits on its media.
    posted = call_http(
        "posts_create",
        token=author,
        body={
            "text": "My fruit bowl with oat & peach yogurt",
            "media_ids": [created["media_id"]],
            "topics": [],
        },
    )
    assert posted.status == 201, posted.body
    cloud.pump_until_idle()

    post = call_http("posts_get", token=author, path_parameters={"post_id": posted.json["post_id"]}).json
    assert post["status"] == "published", post
    feed = call_http("feed_get", token=token(cloud, "reader-1"), query={"kind": "new", "limit": "20"})
    assert feed.status == 200, feed.body
    (item,) = [p for p in feed.json["items"] if p["post_id"] == posted.json["post_id"]]
    assert requests.get(item["media"][0]["urls"]["display"], timeout=10).status_code == 200
