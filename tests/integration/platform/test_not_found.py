"""API Gateway's `$default` route: what HTTP API would answer `{"message":"Not Found"}` to is a
problem+json 404, and a served path asked with another method is 405 with `Allow`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from earnloop.contexts import routers
from earnloop.local import lambdas
from earnloop.local.samples import http_event
from earnloop.platform.app import api_routes, create_app
from earnloop.platform.not_found import served_methods
from earnloop.platform.settings import get_settings
from fastapi.testclient import TestClient

from tests.support.lambdas import assert_problem, http_answer, invoke

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.lambdas import HttpAnswer

ROUTES = {"/v1/me": ["GET", "PATCH"], "/v1/scans/{scan_id}": ["GET"], "/v1/scans": ["POST"]}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cold `not_found` whose environment lists the routes, as the CDK app sets it."""
    monkeypatch.setenv("EARNLOOP_ROUTES", json.dumps(ROUTES))
    get_settings.cache_clear()
    lambdas.forget_handlers()
    yield
    get_settings.cache_clear()
    lambdas.forget_handlers()


def ask(method: str, path: str) -> HttpAnswer:
    event = http_event("apigw/not_found.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    return http_answer(invoke("not_found", event))


def test_the_sample_unknown_path_is_a_404_problem():
    lambdas.forget_handlers()
    answer = http_answer(invoke("not_found", http_event("apigw/not_found.json")))

    problem = assert_problem(answer, 404, "not_found")
    assert problem["type"] == "urn:earnloop:problem:not_found"
    assert answer.headers["x-request-id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@pytest.mark.usefixtures("served")
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("DELETE", "/v1/me", "GET, PATCH"), ("PUT", "/v1/scans/A-B", "GET"), ("GET", "/v1/scans", "POST")],
)
def test_a_served_path_with_another_method_is_405_with_allow(method, path, allow):
    answer = ask(method, path)

    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == allow


@pytest.mark.usefixtures("served")
@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v1/me/extra", "/docs", "/openapi.json", "/v2/scans", "/%2e%2e/etc"]
)
def test_unknown_paths_are_404_and_no_docs_are_served(path):
    assert_problem(ask("GET", path), 404, "not_found")


def test_the_deployed_answers_match_the_local_apps():
    # The local cloud serves every route in one app; the `$default` function must say the same.
    local = TestClient(create_app(routers()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EARNLOOP_ROUTES", json.dumps(served_methods(api_routes(routers()))))
        get_settings.cache_clear()
        lambdas.forget_handlers()
        try:
            for method, path in [("PUT", "/v1/me"), ("GET", "/v1/nothing"), ("PUT", "/v1/health")]:
                deployed, here = ask(method, path), local.request(method, path)
                assert (deployed.status, deployed.json["code"]) == (here.status_code, here.json()["code"])
            # Starlette's app names only the first matching route's methods; the table names them all.
            assert ask("PUT", "/v1/health").headers["allow"] == local.put("/v1/health").headers["allow"]
            assert ask("PUT", "/v1/me").headers["allow"] == "DELETE, GET, PATCH"
        finally:
            get_settings.cache_clear()
            lambdas.forget_handlers()
