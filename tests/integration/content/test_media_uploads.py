"""POST /v1/media/uploads and GET /v1/media/{id} through their handlers, under moto."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from earnloop.content import media_uploads
from earnloop.content.media_store import media_key
from earnloop.platform import aws

from tests.support.lambdas import assert_problem, call_http, stored

MB = 1024 * 1024


def upload(cloud: Any, user: str, content_type: str = "image/jpeg", size: int = 2 * MB) -> Any:
    return call_http(
        "media_uploads_create", token=cloud.token(user), body={"content_type": content_type, "size": size}
    )


def media_items(cloud: Any) -> list[dict[str, Any]]:
    table = cloud.settings.table_name("content")
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("MEDIA#")]


def test_an_upload_is_a_presigned_post_bound_to_the_caller_the_media_id_type_and_size_class(
    moto_cloud,
) -> None:
    answer = upload(moto_cloud, "u1", "image/jpeg", 3 * MB)

    assert answer.status == 201, answer.body
    body = answer.json
    media_id = body["media_id"]
    assert answer.headers["location"] == f"/v1/media/{media_id}"
    assert body["expires_in"] == 300
    fields = body["upload"]["fields"]
    assert fields["key"] == f"uploads/u1/{media_id}"
    assert fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and fields["x-amz-signature"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": f"uploads/u1/{media_id}"} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 10 * MB] in conditions
    assert {"bucket": moto_cloud.settings.bucket_name("media")} in conditions
    item = stored(moto_cloud.settings.table_name("content"), media_key(media_id))
    assert item is not None
    assert (item["owner_id"], item["kind"], item["status"]) == ("u1", "image", "pending")
    assert (item["declared_type"], item["declared_size"]) == ("image/jpeg", 3 * MB)


def test_a_video_gets_the_video_size_class(moto_cloud) -> None:
    answer = upload(moto_cloud, "u1", "video/quicktime", 40 * MB)

    assert answer.status == 201, answer.body
    policy = json.loads(base64.b64decode(answer.json["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, 50 * MB] in policy["conditions"]


@pytest.mark.parametrize(("content_type", "size"), [("image/png", 10 * MB + 1), ("video/mp4", 50 * MB + 1)])
def test_a_declared_size_over_the_limit_is_413_before_any_url_or_item(moto_cloud, content_type, size) -> None:
    answer = upload(moto_cloud, "u1", content_type, size)

    problem = assert_problem(answer, 413, "payload_too_large")
    assert "url" not in answer.body and problem["limit"] in (10 * MB, 50 * MB)
    assert media_items(moto_cloud) == []


@pytest.mark.parametrize("content_type", ["image/svg+xml", "application/octet-stream"])
def test_a_type_outside_the_accepted_ones_is_422(moto_cloud, content_type) -> None:
    assert_problem(upload(moto_cloud, "u1", content_type), 422, "validation_error")
    assert media_items(moto_cloud) == []


@pytest.mark.parametrize("body", [{"content_type": "image/jpeg"}, {"content_type": "image/jpeg", "size": 0}])
def test_a_missing_or_empty_size_is_422(moto_cloud, body) -> None:
    answer = call_http("media_uploads_create", token=moto_cloud.token("u1"), body=body)
    assert_problem(answer, 422, "validation_error")


def test_without_a_token_no_upload(moto_cloud) -> None:
    answer = call_http("media_uploads_create", body={"content_type": "image/jpeg", "size": 10})
    assert_problem(answer, 401, "unauthenticated")


def test_uploads_are_limited_per_user_and_hour(moto_cloud, monkeypatch) -> None:
    monkeypatch.setattr(media_uploads, "UPLOADS_PER_HOUR", 2)
    assert upload(moto_cloud, "u1").status == 201
    assert upload(moto_cloud, "u1").status == 201

    limited = upload(moto_cloud, "u1")

    assert_problem(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 3600
    assert upload(moto_cloud, "u2").status == 201
    assert len(media_items(moto_cloud)) == 3


def test_the_owner_sees_a_pending_upload_and_nobody_else_sees_it_at_all(moto_cloud) -> None:
    media_id = upload(moto_cloud, "u1").json["media_id"]

    mine = call_http("media_get", token=moto_cloud.token("u1"), path_parameters={"media_id": media_id})
    theirs = call_http("media_get", token=moto_cloud.token("u2"), path_parameters={"media_id": media_id})

    assert mine.status == 200 and mine.json == {"media_id": media_id, "status": "pending", "kind": "image"}
    assert_problem(theirs, 404, "not_found")
    unknown = call_http("media_get", token=moto_cloud.token("u1"), path_parameters={"media_id": "nope"})
    assert_problem(unknown, 404, "not_found")
