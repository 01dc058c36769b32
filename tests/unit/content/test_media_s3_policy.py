"""The local S3 front's check of a browser-form POST, as S3 does it: signature, expiry, fields and
conditions, on forms signed by boto3 exactly as `POST /v1/media/uploads` signs them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from earnloop.local.s3_front import S3PostError, check_post, object_created_event, read_form

BUCKET = "earnloop-local-media"
KEY = "uploads/u1/01JMEDIA"
LIMIT = 10 * 1024 * 1024
CREDENTIALS = {"testing": "testing"}
NOW = datetime.now(UTC)


def form(expires_in: int = 300, content_type: str = "image/jpeg") -> dict[str, str]:
    # Signed with the credentials the check is given, whatever an earlier test left in the environment.
    s3 = boto3.client(
        "s3",
        region_name="ap-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    signed = s3.generate_presigned_post(
        Bucket=BUCKET,
        Key=KEY,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, LIMIT]],
        ExpiresIn=expires_in,
    )
    return {k: str(v) for k, v in signed["fields"].items()}


def refused(fields: dict[str, str], data: bytes | None = b"\xff\xd8 jpeg", **overrides: Any) -> S3PostError:
    with pytest.raises(S3PostError) as raised:
        check_post(overrides.get("bucket", BUCKET), fields, data, CREDENTIALS, overrides.get("now", NOW))
    return raised.value


def test_a_form_as_signed_is_accepted_with_s3s_default_204() -> None:
    upload = check_post(BUCKET, form(), b"\xff\xd8 jpeg", CREDENTIALS, NOW)

    assert (upload.bucket, upload.key, upload.content_type, upload.status) == (BUCKET, KEY, "image/jpeg", 204)


def test_another_key_is_refused() -> None:
    error = refused({**form(), "key": "uploads/u2/01JMEDIA"})
    assert (error.status, error.code) == (403, "AccessDenied")
    assert "Policy Condition failed" in error.message and "key" in error.message


def test_another_content_type_is_refused() -> None:
    error = refused({**form(), "Content-Type": "text/html"})
    assert (error.status, error.code) == (403, "AccessDenied")


def test_another_bucket_is_refused() -> None:
    error = refused(form(), bucket="someone-elses-bucket")
    assert (error.status, error.code) == (403, "AccessDenied")


def test_a_file_over_the_range_is_entity_too_large() -> None:
    error = refused(form(), data=b"x" * (LIMIT + 1))
    assert (error.status, error.code) == (400, "EntityTooLarge")
    assert error.extra["MaxSizeAllowed"] == LIMIT


def test_an_empty_file_is_entity_too_small() -> None:
    assert refused(form(), data=b"").code == "EntityTooSmall"


def test_an_expired_policy_is_refused() -> None:
    error = refused(form(expires_in=60), now=datetime.now(UTC) + timedelta(seconds=61))
    assert (error.status, error.code) == (403, "AccessDenied")
    assert "Policy expired" in error.message


def test_a_policy_widened_by_the_client_no_longer_matches_its_signature() -> None:
    fields = form()
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = [
        c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")
    ]
    policy["expiration"] = (NOW + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()

    error = refused(fields, data=b"x" * (LIMIT + 1))

    assert (error.status, error.code) == (403, "SignatureDoesNotMatch")


def test_a_forged_signature_and_an_unknown_key_id_are_refused() -> None:
    assert refused({**form(), "x-amz-signature": "0" * 64}).code == "SignatureDoesNotMatch"
    fields = form()
    fields["x-amz-credential"] = fields["x-amz-credential"].replace("testing/", "AKIAOTHER/", 1)
    assert refused(fields).code == "InvalidAccessKeyId"


def test_a_field_the_policy_does_not_cover_is_refused() -> None:
    error = refused({**form(), "acl": "public-read"})
    assert (error.status, error.code) == (403, "AccessDenied")
    assert "Extra input fields: acl" in error.message
    # S3 lets `x-ignore-` fields through.
    check_post(BUCKET, {**form(), "x-ignore-note": "hi"}, b"x", CREDENTIALS, NOW)


@pytest.mark.parametrize("missing", ["policy", "x-amz-signature", "key"])
def test_a_form_without_a_required_field_is_refused(missing: str) -> None:
    fields = {k: v for k, v in form().items() if k != missing}
    assert refused(fields).status == 400


def test_a_form_without_a_file_is_refused() -> None:
    assert refused(form(), data=None).code == "InvalidArgument"


def test_the_notification_has_s3s_record_shape_with_the_key_url_encoded() -> None:
    event = object_created_event(
        region="ap-east-1",
        bucket=BUCKET,
        key="uploads/u1/a b+c",
        size=12,
        etag="abc",
        configuration_id="media-0",
        source_ip="127.0.0.1",
    )

    (record,) = event["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Post"
    assert record["s3"]["object"] == {**record["s3"]["object"], "key": "uploads/u1/a+b%2Bc", "size": 12}
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{BUCKET}"
    from aws_lambda_powertools.utilities.parser.models import S3Model

    # Powertools' model of S3's notification accepts it as it would a real one.
    assert S3Model.model_validate(event).Records[0].s3.object.size == 12


def multipart(parts: list[tuple[str, bytes, bool]], boundary: str = "b0undary") -> bytes:
    body = b""
    for name, value, is_file in parts:
        filename = '; filename="photo.jpg"' if is_file else ""
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n\r\n'.encode()
        body += value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def test_fields_after_the_file_are_ignored_as_s3_ignores_them() -> None:
    signed = form()
    before = [(k, v.encode(), False) for k, v in signed.items() if k != "Content-Type"]
    body = multipart([*before, ("file", b"\xff\xd8 jpeg", True), ("Content-Type", b"image/jpeg", False)])

    fields, data = read_form(body, b"b0undary")

    assert data == b"\xff\xd8 jpeg" and "Content-Type" not in fields
    # So the policy's Content-Type condition fails, locally as in AWS.
    assert refused(fields, data=data).code == "AccessDenied"
    assert check_post(BUCKET, {**fields, "Content-Type": "image/jpeg"}, data, CREDENTIALS, NOW).key == KEY
