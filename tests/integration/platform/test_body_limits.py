"""Request body size limits: 413 `payload_too_large` before the route (or its parsing) runs, on a
declared Content-Length and on a chunked body without one; per-route overrides; through Lambda too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from earnloop.contexts import routers
from earnloop.local.samples import http_event
from earnloop.platform.app import create_app
from earnloop.platform.body_limits import DEFAULT_MAX_BODY_BYTES, max_body
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from tests.support.lambdas import assert_problem, http_answer, invoke

SEEN: list[int] = []
probe = APIRouter()


@probe.post("/probe/default", name="probe_default")
async def probe_default(request: Request) -> dict[str, int]:
    SEEN.append(len(await request.body()))
    return {"size": SEEN[-1]}


@probe.post("/probe/large", name="probe_large", openapi_extra=max_body(64 * 1024))
async def probe_large(request: Request) -> dict[str, int]:
    SEEN.append(len(await request.body()))
    return {"size": SEEN[-1]}


@pytest.fixture
def client() -> Iterator[TestClient]:
    SEEN.clear()
    yield TestClient(create_app([probe]), raise_server_exceptions=False)


def chunks(size: int, piece: int = 1000) -> Iterator[bytes]:
    while size > 0:
        yield b"x" * min(piece, size)
        size -= piece


def assert_too_large(response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["code"], body["status"], body["limit"]) == ("payload_too_large", 413, limit)
    assert response.headers["x-request-id"]


def test_a_body_up_to_the_default_limit_reaches_the_route_whole(client) -> None:
    response = client.post("/probe/default", content=b"x" * DEFAULT_MAX_BODY_BYTES)
    assert response.status_code == 200
    assert SEEN == [DEFAULT_MAX_BODY_BYTES]


def test_a_declared_length_over_the_limit_is_413_and_the_route_never_runs(client) -> None:
    assert_too_large(client.post("/probe/default", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1)), 16384)
    assert SEEN == []


def test_a_chunked_body_without_a_length_is_cut_at_the_limit(client) -> None:
    response = client.post("/probe/default", content=chunks(DEFAULT_MAX_BODY_BYTES + 1))
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_too_large(response, DEFAULT_MAX_BODY_BYTES)
    assert SEEN == []
    assert client.post("/probe/default", content=chunks(DEFAULT_MAX_BODY_BYTES)).status_code == 200
    assert SEEN == [DEFAULT_MAX_BODY_BYTES]


def test_a_length_header_that_understates_the_body_does_not_get_more_past_the_limit(client) -> None:
    # The header says 10 bytes; the body streams on. What is read is counted, not what is said.
    response = client.post(
        "/probe/default", content=chunks(DEFAULT_MAX_BODY_BYTES * 2), headers={"Content-Length": "10"}
    )
    assert_too_large(response, DEFAULT_MAX_BODY_BYTES)
    assert SEEN == []


def test_a_route_with_an_override_takes_its_larger_bodies_and_no_more(client) -> None:
    assert client.post("/probe/large", content=b"x" * 60_000).status_code == 200
    assert_too_large(client.post("/probe/large", content=b"x" * (64 * 1024 + 1)), 64 * 1024)
    assert_too_large(client.post("/probe/large", content=chunks(64 * 1024 + 1)), 64 * 1024)
    assert SEEN == [60_000]


def test_the_limit_is_documented_per_route_in_the_openapi_document() -> None:
    operations = create_app(routers()).openapi()["paths"]
    assert operations["/v1/admin/rewards"]["post"]["x-max-body-bytes"] == 256 * 1024
    assert "x-max-body-bytes" not in operations["/v1/scans"]["post"]


def test_a_coupon_pool_over_the_default_is_taken_by_rewards_create(moto_cloud) -> None:
    client = TestClient(create_app(routers()), raise_server_exceptions=False)
    codes = [f"COUPON-{n:06d}-{'A' * 20}" for n in range(1000)]
    body = {"name": "Coupon", "type": "coupon", "price": 10, "coupon_codes": codes}
    assert len(json.dumps(body)) > DEFAULT_MAX_BODY_BYTES
    response = client.post("/v1/admin/rewards", json=body, headers=moto_cloud.auth("u-admin", "admin"))
    assert response.status_code != 413, response.text
    big = client.post(
        "/v1/scans", json={"code": "x" * DEFAULT_MAX_BODY_BYTES}, headers=moto_cloud.auth("u-1")
    )
    assert_too_large(big, DEFAULT_MAX_BODY_BYTES)


def test_a_deployed_function_refuses_an_oversized_body_before_the_route(moto_cloud) -> None:
    event = http_event("apigw/scans_create.json", token=moto_cloud.token("u-big"))
    event["body"] = json.dumps({"code": "x" * DEFAULT_MAX_BODY_BYTES})
    event["headers"].pop("content-length", None)
    answer = http_answer(invoke("scans_create", event))
    assert_problem(answer, 413, "payload_too_large")
