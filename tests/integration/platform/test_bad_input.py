"""Bad input everywhere gives a problem+json 4xx, never a 500: every route, hostile requests."""

from __future__ import annotations

import base64
import json
import re

import pytest
from earnloop.contexts import routers
from earnloop.platform.app import api_routes, create_app
from fastapi.testclient import TestClient

from tests.conftest import MotoCloud

ROUTES = [
    (method, route.path) for route in api_routes(routers()) for method in sorted(route.methods - {"HEAD"})
]

HOSTILE_BODIES = [
    b"",
    b"{not json",
    b"[]",
    b"null",
    b'"a string"',
    b'{"code": 12}',
    b'{"code": null, "nickname": false, "points": "1", "count": 1e309}',
    b'{"code": "' + b"A" * 5000 + b'"}',
    '{"code": "\u0000\ud800", "reason": "\u202e"}'.encode("utf-8", "surrogatepass"),
    # Profile fields an attacker would try: bidi overrides, fillers, metadata addresses, userinfo.
    '{"nickname": "\u202egnp.exe\u3164", "avatar_url": "https://169.254.169.254/latest/"}'.encode(),
    b'{"nickname": null, "avatar_url": "https://user:pw@thirdwx.qlogo.cn:8443/a\\u0000"}',
]
HOSTILE_SEGMENTS = ["x", "..%2F..%2Fetc", "A" * 600, "%00", "0"]


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE_QUERIES = [
    "limit=0",
    "limit=101",
    "limit=abc",
    "cursor=%%%",
    "cursor=W10",
    # Tampered history cursors: empty and non-string key values, another partition.
    "cursor=" + b64({"sk": {"S": ""}, "lsi1sk": {"S": ""}}),
    "cursor=" + b64({"sk": {"S": 1}, "lsi1sk": {"S": None}}),
    "cursor=" + b64({"sk": {"N": "x"}, "lsi1sk": {"B": "AA=="}}),
    "cursor="
    + b64({"pk": {"S": "ACCT#other"}, "sk": {"S": "TXN#a"}, "lsi1sk": {"S": "2026-01-01T00:00:00.000Z#a"}}),
    "start=-1&count=99999999999",
]


def fill(path: str, segment: str) -> str:
    return re.sub(r"\{[^}]+\}", segment, path)


def assert_problem(response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text)
    if response.status_code >= 400 and not response.request.url.path.startswith("/q/"):
        # A page for a browser (the code domain's /q/<code>) answers its 404 as a page; all else is
        # problem+json.
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert {"type", "title", "status", "detail", "code"} <= body.keys()


@pytest.fixture
def moto_cloud(module_moto_cloud: MotoCloud) -> MotoCloud:
    return module_moto_cloud


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(routers()), raise_server_exceptions=False)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_hostile_requests_never_cause_a_500(moto_cloud, client, method, path):
    # No token, a user's and an admin's (tests/security's API2 sends every kind of bad token).
    for headers in (
        {},
        moto_cloud.auth("u-bad-input"),
        moto_cloud.auth("u-admin", "admin"),
    ):
        # A path without parameters is the same URL whatever the segment: tried once.
        for segment in HOSTILE_SEGMENTS if "{" in path else [""]:
            url = fill(path, segment)
            for query in HOSTILE_QUERIES[:2] if method != "GET" else HOSTILE_QUERIES:
                assert_problem(client.request(method, f"{url}?{query}", headers=headers))
            for body in HOSTILE_BODIES if method in {"POST", "PUT", "PATCH"} else [b""]:
                assert_problem(
                    client.request(
                        method, url, content=body, headers={**headers, "content-type": "application/json"}
                    )
                )
