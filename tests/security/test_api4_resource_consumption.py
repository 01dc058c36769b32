"""API4:2023 Unrestricted Resource Consumption: what one request may ask the API to read, store or
parse is bounded, and going past a bound is a 4xx problem (never a 5xx, never work done):
page sizes (derived from every route that takes `limit`), declared upload sizes, text lengths,
list lengths, nesting depth and body sizes (derived from every route that takes a body)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute

from tests.security.attacker import ADMIN, ROUTES, Attacker, problem_code

USER = "u-api4"
PAGED = [route for route in ROUTES if any(p.name == "limit" for p in route.dependant.query_params)]
WITH_BODY = [route for route in ROUTES if route.dependant.body_params]


def body_limit(route: APIRoute) -> int:
    """The route's body limit. Until P13 (fuzzing and body limits) commits `platform/body_limits.py`,
    the body-size tests skip: without it a body's size is API Gateway's 10 MB alone."""
    limits = pytest.importorskip(
        "earnloop.platform.body_limits", reason="P13's body limits not committed yet"
    )
    return int(limits.route_limit(route))


def path_of(route: APIRoute) -> str:
    return re.sub(r"\{[^}]+\}", "x-1", route.path).replace("/earning-rules/x-1", "/earning-rules/scan")


def as_caller(route: APIRoute) -> tuple[str, ...]:
    return (ADMIN, "admin") if route.path.startswith("/v1/admin/") else (USER,)


def test_the_derived_routes_are_the_ones_expected() -> None:
    assert {"feed_get", "notifications_list", "points_history", "redemptions_list", "comments_list"} <= {
        route.name for route in PAGED
    }
    assert {"posts_create", "me_update", "scans_create", "redemptions_create"} <= {r.name for r in WITH_BODY}


@pytest.mark.parametrize("limit", [101, 10_000, 0, -1])
def test_a_page_size_outside_1_to_100_is_refused_on_every_paged_route(api: Attacker, limit: int) -> None:
    for route in PAGED:
        for method in route.methods - {"HEAD"}:
            answer = api.call(method, path_of(route), *as_caller(route), params={"limit": limit})
            assert answer.status_code == 422, (route.name, answer.text)
            assert problem_code(answer) == "validation_error"


def test_a_code_export_range_is_bounded(api: Attacker) -> None:
    answer = api.call("GET", "/v1/admin/code-batches/x-1/codes", ADMIN, "admin", params={"count": 10**7})
    assert answer.status_code == 422


@pytest.mark.parametrize(("content_type", "size"), [("image/jpeg", 10 * 2**20 + 1), ("video/mp4", 10**12)])
def test_an_upload_declared_over_its_limit_is_413_and_no_upload_is_made(
    api: Attacker, content_type: str, size: int
) -> None:
    answer = api.call("POST", "/v1/media/uploads", USER, json={"content_type": content_type, "size": size})

    assert answer.status_code == 413 and problem_code(answer) == "payload_too_large", answer.text
    assert "upload" not in answer.json()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/posts", {"text": "x" * 1001, "media_ids": [], "topics": []}),
        ("POST", "/v1/posts", {"text": "x", "media_ids": ["m"] * 10, "topics": []}),
        ("POST", "/v1/posts", {"text": "x", "media_ids": [], "topics": ["t"] * 100}),
        ("POST", "/v1/posts/{post}/comments", {"text": "x" * 5000}),
        ("POST", "/v1/posts/{post}/reports", {"reason": "x" * 5000}),
        ("PATCH", "/v1/me", {"nickname": "x" * 129}),
        ("POST", "/v1/notifications/read", {"ids": ["n"] * 101}),
    ],
)
def test_long_text_and_long_lists_are_422(
    api: Attacker, method: str, path: str, body: dict[str, object]
) -> None:
    if "{post}" in path:
        path = path.format(post=api.post("u-api4-author"))
    before = api.call("GET", "/v1/me", USER).json()

    answer = api.call(method, path, USER, json=body)

    assert answer.status_code == 422 and problem_code(answer) == "validation_error", answer.text
    assert api.call("GET", "/v1/me", USER).json() == before


@pytest.mark.parametrize(
    "body",
    [
        "[" * 8000 + "]" * 8000,  # deeper than any parser's recursion limit, inside the body limit
        '{"text":' + '{"a":' * 2500 + "1" + "}" * 2501,
        '{"text":' + "[" * 500 + "]" * 500 + "}",  # parsed, then refused by the schema
    ],
)
def test_deeply_nested_json_is_a_4xx_on_every_route_that_takes_a_body(api: Attacker, body: str) -> None:
    for route in WITH_BODY:
        for method in route.methods - {"HEAD"}:
            answer = api.call(
                method,
                path_of(route),
                *as_caller(route),
                content=body,
                headers={"content-type": "application/json"},
            )
            assert 400 <= answer.status_code < 500, (route.name, answer.status_code, answer.text[:200])
            assert answer.headers["content-type"] == "application/problem+json"


def test_a_huge_body_is_413_on_every_route_that_takes_one(api: Attacker) -> None:
    for route in WITH_BODY:
        limit = body_limit(route)
        for method in route.methods - {"HEAD"}:
            answer = api.call(
                method,
                path_of(route),
                *as_caller(route),
                content=b" " * (limit + 1),
                headers={"content-type": "application/json"},
            )
            assert answer.status_code == 413, (route.name, answer.text[:200])
            assert problem_code(answer) == "payload_too_large"


def test_a_chunked_body_without_a_length_is_413_too(api: Attacker) -> None:
    body_limit(next(route for route in WITH_BODY if route.name == "posts_create"))

    def chunks() -> Iterator[bytes]:
        for _ in range(1000):  # 1 MiB, sent without Content-Length
            yield b" " * 1024

    answer = api.call(
        "POST", "/v1/posts", USER, content=chunks(), headers={"content-type": "application/json"}
    )

    assert answer.status_code == 413 and problem_code(answer) == "payload_too_large"
