"""API8:2023 Security Misconfiguration, the part the app decides: no CORS (issue 10.7). Only the
mini-program calls the API and it is not a browser, so no origin is ever allowed: a preflight or a
request carrying `Origin` gets no `Access-Control-Allow-*` header, on every served route. The
deployed half (the HTTP API has no CORS configuration) is `tests/infra/test_infra_api.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.security.attacker import Attacker, route_keys

if TYPE_CHECKING:
    from httpx import Response

ORIGIN = {"Origin": "https://evil.example"}


def _cors_headers(response: Response) -> list[str]:
    return [name for name in response.headers if name.lower().startswith("access-control-")]


def test_a_preflight_to_any_route_allows_no_origin(api: Attacker) -> None:
    for key in sorted(route_keys()):
        method, path = key.split(" ", 1)
        preflight = {
            **ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization",
        }

        answer = api.call("OPTIONS", path, headers=preflight)

        assert answer.status_code in {404, 405}, key
        assert _cors_headers(answer) == [], key


def test_answers_to_a_request_from_an_origin_carry_no_cors_headers(api: Attacker) -> None:
    answers = [
        api.call("GET", "/v1/me", "u-api8", headers=ORIGIN),
        api.call("GET", "/v1/points", "u-api8", headers=ORIGIN),
        api.call("GET", "/v1/me", headers=ORIGIN),
        api.call("POST", "/v1/posts", "u-api8", headers=ORIGIN, json={"text": 1}),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 401, 422]
    assert all(_cors_headers(answer) == [] for answer in answers)
