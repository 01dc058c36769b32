"""The local S3 front: what a client's presigned POST upload reaches on `make dev` and in the tests.

moto accepts any browser-form POST; S3 checks its policy. This front sits before moto's S3 and, for
a form POST to a bucket, does what S3 does: checks the SigV4 policy signature, the expiry, that
every form field is allowed by a condition and every condition holds (key, Content-Type,
`content-length-range`), answers like S3 (204, or 403/400 with S3's XML error), stores the object in
moto, then delivers the S3 `ObjectCreated:Post` event to the queues the bucket's definition notifies
(`Bucket.notifications`), in the record shape S3 sends. Every other request passes through to moto
unchanged, so `AWS_ENDPOINT_URL_S3` can point every S3 client at the front.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlsplit
from xml.sax.saxutils import escape

import boto3
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from earnloop.contexts import buckets
from earnloop.local.provision import queue_name
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

# Form fields the policy does not have to cover (S3: the signature, the file, the policy itself and
# any `x-ignore-` field).
_UNCOVERED = {"x-amz-signature", "file", "policy"}
# Hop-by-hop headers a proxy must not forward.
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}
_OWNER = "A3NL1KOZZKExample"


class S3PostError(Exception):
    """A refused upload: S3's status, error code and message."""

    def __init__(self, status: int, code: str, message: str, **extra: str | int) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> Response:
        extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in self.extra.items())
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
            f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
        )
        return Response(body, status=self.status, content_type="application/xml")


def _denied(message: str) -> S3PostError:
    return S3PostError(403, "AccessDenied", f"Invalid according to Policy: {message}")


def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    content_type: str | None
    data: bytes
    status: int


def check_post(
    bucket: str,
    fields: dict[str, str],
    data: bytes | None,
    credentials: dict[str, str],
    now: datetime,
) -> Upload:
    """What S3 checks of a SigV4 browser-form POST; returns the upload to store.

    Raises:
        S3PostError: the answer S3 gives to this request.
    """
    lowered = {name.lower(): value for name, value in fields.items()}
    if data is None:
        raise S3PostError(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    for required in ("key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"):
        if required not in lowered:
            raise S3PostError(400, "InvalidArgument", f"Bucket POST must contain a field named '{required}'.")
    if lowered["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise S3PostError(400, "InvalidArgument", "Unsupported algorithm", ArgumentName="x-amz-algorithm")
    access_key, _, scope = lowered["x-amz-credential"].partition("/")
    date, region, service, terminator = ([*scope.split("/"), "", "", "", ""])[:4]
    secret_key = credentials.get(access_key)
    if secret_key is None:
        raise S3PostError(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    if service != "s3" or terminator != "aws4_request" or not lowered["x-amz-date"].startswith(date):
        raise S3PostError(400, "AuthorizationQueryParametersError", "Invalid credential scope.")
    expected = hmac.new(
        _signing_key(secret_key, date, region, service), lowered["policy"].encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, lowered["x-amz-signature"].lower()):
        raise S3PostError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    try:
        policy = json.loads(base64.b64decode(lowered["policy"], validate=True))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy["conditions"])
    except (ValueError, KeyError, TypeError) as error:
        raise S3PostError(400, "InvalidPolicyDocument", f"Invalid Policy: {error}") from error
    if now >= expiration:
        raise _denied("Policy expired.")
    values = {**lowered, "bucket": bucket}
    covered: set[str] = set()
    size_range: tuple[int, int] | None = None
    for condition in conditions:
        name, check = _condition(condition)
        if name == "content-length-range":
            size_range = check
            continue
        covered.add(name)
        if not check(values.get(name)):
            raise _denied(f"Policy Condition failed: {json.dumps(condition)}")
    extra = sorted(
        name for name in lowered if name not in _UNCOVERED | covered and not name.startswith("x-ignore-")
    )
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")
    if size_range is not None:
        low, high = size_range
        if len(data) > high:
            raise S3PostError(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=len(data),
                MaxSizeAllowed=high,
            )
        if len(data) < low:
            raise S3PostError(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=len(data),
                MinSizeAllowed=low,
            )
    status = int(lowered.get("success_action_status", "204"))
    return Upload(
        bucket, lowered["key"], fields.get("Content-Type"), data, status if status in (200, 201) else 204
    )


def read_form(body: bytes, boundary: bytes) -> tuple[dict[str, str], bytes | None]:
    """The form's fields up to its `file` part, and that part's bytes (None without one).

    As S3 reads a POST: the file must be the last field; any field after it is ignored (so a
    client that sends its Content-Type after the file fails its policy here as it would in AWS).
    """
    decoder = MultipartDecoder(boundary)
    decoder.receive_data(body)
    decoder.receive_data(None)
    fields: dict[str, str] = {}
    current: str | None = None
    is_file = False
    chunks: list[bytes] = []
    while True:
        event = decoder.next_event()
        if isinstance(event, Field | File):
            current, is_file, chunks = event.name, isinstance(event, File) or event.name == "file", []
        elif isinstance(event, Data) and current is not None:
            chunks.append(event.data)
            if not event.more_data:
                if is_file and current == "file":
                    return fields, b"".join(chunks)
                fields[current] = b"".join(chunks).decode("utf-8", "replace")
                current = None
        elif isinstance(event, Epilogue | NeedData):
            return fields, None


def _condition(condition: Any) -> tuple[str, Any]:
    """A policy condition as (field name, predicate on the field's value), or the size range."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, wanted),) = condition.items()
        return name.lower(), lambda value: value == wanted
    if isinstance(condition, list) and len(condition) == 3:
        operator, subject, operand = condition
        if operator == "content-length-range":
            return "content-length-range", (int(subject), int(operand))
        if isinstance(subject, str) and subject.startswith("$"):
            name = subject[1:].lower()
            if operator == "eq":
                return name, lambda value: value == operand
            if operator == "starts-with":
                return name, lambda value: value is not None and str(value).startswith(operand)
    raise S3PostError(
        400, "InvalidPolicyDocument", f"Invalid Policy: Invalid condition: {json.dumps(condition)}"
    )


def object_created_event(
    *, region: str, bucket: str, key: str, size: int, etag: str, configuration_id: str, source_ip: str
) -> dict[str, Any]:
    """The S3 event notification (version 2.1) S3 sends to a queue for one POSTed object."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "eventName": "ObjectCreated:Post",
                "userIdentity": {"principalId": f"AWS:{_OWNER}"},
                "requestParameters": {"sourceIPAddress": source_ip},
                "responseElements": {
                    "x-amz-request-id": secrets.token_hex(8).upper(),
                    "x-amz-id-2": base64.b64encode(secrets.token_bytes(48)).decode(),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": _OWNER},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    # S3 URL-encodes the key in notifications (spaces as `+`).
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": f"{int(datetime.now(UTC).timestamp() * 1e6):016X}",
                    },
                },
            }
        ]
    }


class S3Front:
    """The front on a free loopback port, before the moto server at `moto_endpoint`.

    Settings, credentials and clients are read when a request comes: the front starts before the
    local cloud points this process at its emulators.
    """

    def __init__(self, moto_endpoint: str, host: str = "127.0.0.1") -> None:
        self._moto_endpoint = moto_endpoint
        self._moto = urlsplit(moto_endpoint)
        self._host = host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _client(self, service: str) -> Any:
        # Straight to moto (not through `AWS_ENDPOINT_URL_S3`, which is this front).
        return boto3.client(service, endpoint_url=self._moto_endpoint, region_name=get_settings().region)  # type: ignore[call-overload]

    @staticmethod
    def credentials() -> dict[str, str]:
        """moto accepts any key pair; the front checks against the one this process signs with."""
        return {
            os.environ.get("AWS_ACCESS_KEY_ID", "local"): os.environ.get("AWS_SECRET_ACCESS_KEY", "local")
        }

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the S3 front is not started")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> None:
        self._server = make_server(self._host, 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="earnloop-s3-front", daemon=True
        )
        self._thread.start()
        logger.info("S3 front started", extra={"endpoint": self.endpoint})

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._post(request) if self._is_form_post(request) else self._proxy(request)
        except S3PostError as error:
            response = error.response()
        return response(environ, start_response)

    @staticmethod
    def _is_form_post(request: Request) -> bool:
        path = request.path.strip("/")
        return (
            request.method == "POST"
            and bool(path)
            and "/" not in path
            and request.mimetype == "multipart/form-data"
        )

    def _post(self, request: Request) -> Response:
        bucket = request.path.strip("/")
        boundary = request.mimetype_params.get("boundary")
        if not boundary:
            raise S3PostError(
                400, "MalformedPOSTRequest", "The body of your POST request is not well-formed."
            )
        try:
            fields, data = read_form(request.get_data(), boundary.encode())
        except ValueError as error:
            raise S3PostError(
                400,
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.",
            ) from error
        upload = check_post(bucket, fields, data, self.credentials(), datetime.now(UTC))
        extra = {"ContentType": upload.content_type} if upload.content_type else {}
        s3 = self._client("s3")
        try:
            stored = s3.put_object(Bucket=bucket, Key=upload.key, Body=upload.data, **extra)
        except s3.exceptions.NoSuchBucket as error:
            raise S3PostError(
                404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket
            ) from error
        etag = str(stored["ETag"]).strip('"')
        self._notify(bucket, upload, etag, request.remote_addr or "127.0.0.1")
        location = f"{self.endpoint}/{bucket}/{quote_plus(upload.key, safe='/')}"
        headers = {"ETag": f'"{etag}"', "Location": location}
        if upload.status == 201:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
                f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
                f'<Key>{escape(upload.key)}</Key><ETag>"{etag}"</ETag></PostResponse>'
            )
            return Response(body, status=201, headers=headers, content_type="application/xml")
        return Response(b"", status=upload.status, headers=headers)

    def _notify(self, bucket: str, upload: Upload, etag: str, source_ip: str) -> None:
        settings = get_settings()
        sqs = self._client("sqs")
        declared = next((b for b in buckets() if settings.bucket_name(b.name) == bucket), None)
        for index, notification in enumerate(declared.notifications if declared else ()):
            if not upload.key.startswith(notification.prefix):
                continue
            event = object_created_event(
                region=settings.region,
                bucket=bucket,
                key=upload.key,
                size=len(upload.data),
                etag=etag,
                configuration_id=f"{notification.queue}-{index}",
                source_ip=source_ip,
            )
            url = sqs.get_queue_url(QueueName=queue_name(settings, notification.queue))["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))

    def _proxy(self, request: Request) -> Response:
        connection = http.client.HTTPConnection(
            self._moto.hostname or "127.0.0.1", self._moto.port, timeout=30
        )
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
            headers["Host"] = self._moto.netloc
            path = request.full_path if request.query_string else request.path
            connection.request(request.method, path, body=request.get_data(), headers=headers)
            answer = connection.getresponse()
            body = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP | {"content-length"}]
            return Response(body, status=answer.status, headers=kept)
        finally:
            connection.close()
