"""Every error a client sees is RFC 9457 problem+json with a stable code; a crash leaks nothing."""

from __future__ import annotations

import pytest
from earnloop.platform import problems
from earnloop.platform.errors import RateLimitedError, UnauthenticatedError
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field


class Body(BaseModel):
    n: int = Field(strict=True, ge=1)


def app() -> FastAPI:
    router = APIRouter()

    @router.post("/things")
    def create(body: Body) -> dict[str, int]:
        return {"n": body.n}

    @router.get("/limited")
    def limited() -> None:
        raise RateLimitedError(42, "slow down")

    @router.get("/private")
    def private() -> None:
        raise UnauthenticatedError("missing bearer token")

    @router.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    application = FastAPI()
    application.include_router(router)
    problems.install(application)
    return application


def test_validation_errors_are_422_problems_with_locations():
    response = TestClient(app()).post("/things", json={"n": "1"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"] == ["body", "n"]


def test_malformed_json_is_a_422_problem():
    response = TestClient(app()).post(
        "/things", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_domain_errors_carry_their_code_status_and_headers():
    response = TestClient(app()).get("/limited")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    assert response.json() == {
        "type": "urn:earnloop:problem:rate_limited",
        "title": "Too many requests",
        "status": 429,
        "detail": "slow down",
        "code": "rate_limited",
    }


def test_unknown_paths_and_methods_are_problems():
    client = TestClient(app())
    assert client.get("/nowhere").json()["code"] == "not_found"
    response = client.delete("/things")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"


def test_a_405_says_which_methods_are_allowed():
    response = TestClient(app()).put("/things", json={"n": 1})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_a_401_carries_a_bearer_challenge():
    client = TestClient(app())
    bare = client.get("/private")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == 'Bearer realm="earnloop"'
    with_token = client.get("/private", headers={"Authorization": "Bearer forged"})
    assert with_token.headers["www-authenticate"] == 'Bearer realm="earnloop", error="invalid_token"'


@pytest.mark.parametrize("body", [b'{"n": "\xff"}', b"\xff\xfe", b'{"n": 1}\x80'])
def test_a_body_the_framework_cannot_parse_is_a_listed_422_not_an_unlisted_400(body):
    response = TestClient(app()).post("/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error" and problem["status"] == 422
    assert problem["errors"] and problem["errors"][0]["loc"][0] == "body"


def test_a_crash_is_a_500_problem_without_internals():
    response = TestClient(app(), raise_server_exceptions=False).get("/crash")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "hunter2" not in response.text and "Traceback" not in response.text
