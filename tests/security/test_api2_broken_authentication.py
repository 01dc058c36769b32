"""API2:2023 Broken Authentication: every route that takes a token refuses a missing, expired, forged,
`alg: none`, unknown-key or revoked one with 401 `unauthenticated`, before it reads or writes anything.

The routes are derived from the app (each whose dependencies include `current_user`), so a new route
is attacked as soon as it is served."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from hmac import digest as hmac_digest

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from earnloop.identity.sessions import revoke_user
from earnloop.platform import sessions
from earnloop.platform.auth import Principal, current_user, issue_token
from earnloop.platform.clock import utcnow
from fastapi.routing import APIRoute
from jwt.algorithms import ECAlgorithm
from jwt.utils import base64url_encode

from tests.security.attacker import ROUTES, Attacker, problem_code


def takes_token(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is current_user:
            return True
        pending.extend(dependency.dependencies)
    return False


GUARDED = [route for route in ROUTES if takes_token(route)]
# One route of each context at least (the path's first segment after /v1), for the costlier attacks.
SAMPLE = list(
    {route.path.split("/")[2]: route for route in GUARDED if route.path.startswith("/v1/")}.values()
)


def requests(routes: list[APIRoute]) -> list[tuple[str, str]]:
    return [
        (method, re.sub(r"\{[^}]+\}", "x-1", route.path))
        for route in routes
        for method in sorted(route.methods - {"HEAD"})
    ]


def refuses_every(api: Attacker, routes: list[APIRoute], **auth: str) -> None:
    answers = {f"{m} {p}": api.call(m, p, **auth) for m, p in requests(routes)}
    wrong = {key: a.status_code for key, a in answers.items() if a.status_code != 401}
    assert not wrong
    assert {problem_code(a) for a in answers.values()} == {"unauthenticated"}


def forged(header: dict[str, object], claims: dict[str, object], signature: bytes) -> str:
    def segment(value: dict[str, object]) -> bytes:
        return base64url_encode(json.dumps(value).encode())

    return (segment(header) + b"." + segment(claims) + b"." + base64url_encode(signature)).decode()


def claims_of(token: str) -> tuple[dict[str, object], dict[str, object]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def test_the_guarded_routes_cover_every_context() -> None:
    assert len(GUARDED) > 40
    assert {"me", "points", "scans", "posts", "redemptions", "shares", "leaderboard", "admin"} <= {
        route.path.split("/")[2] for route in SAMPLE
    }


def test_no_token_or_another_scheme_is_refused_everywhere(api: Attacker) -> None:
    refuses_every(api, GUARDED)
    refuses_every(api, SAMPLE, headers={"Authorization": "Basic dTpw"})  # type: ignore[arg-type]


def test_an_expired_token_is_refused(api: Attacker) -> None:
    api.cloud.register("u-api2-late")
    token, ttl = issue_token(Principal(user_id="u-api2-late"), utcnow() - timedelta(hours=3))
    assert ttl < 3 * 3600
    refuses_every(api, SAMPLE, token=token)


def test_a_token_signed_by_another_key_under_our_kid_is_refused(api: Attacker) -> None:
    header, claims = claims_of(api.cloud.token("u-api2-forger", "admin"))
    mallory = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims, mallory, algorithm="ES256", headers={"kid": header["kid"]})
    refuses_every(api, GUARDED, token=token)


def test_a_tampered_claim_breaks_the_signature(api: Attacker) -> None:
    real = api.cloud.token("u-api2-tamper")
    header, claims = claims_of(real)
    signature = jwt.utils.base64url_decode(real.rsplit(".", 1)[1])
    refuses_every(api, SAMPLE, token=forged(header, {**claims, "roles": ["admin"]}, signature))


def test_alg_none_and_hmac_with_the_public_key_are_refused(api: Attacker) -> None:
    header, claims = claims_of(api.cloud.token("u-api2-none"))
    unsigned = forged({**header, "alg": "none"}, claims, b"")
    refuses_every(api, GUARDED, token=unsigned)
    refuses_every(api, SAMPLE, token=unsigned.rstrip("."))
    # Algorithm confusion: HS256 keyed with the published public key, which anyone can fetch.
    published = api.call("GET", "/.well-known/jwks.json").json()["keys"]
    assert published
    for jwk in published:
        public = ECAlgorithm.from_jwk(json.dumps(jwk)).public_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        confused = {**header, "alg": "HS256", "kid": jwk["kid"]}
        signing_input = forged(confused, claims, b"").rstrip(".").encode()
        hmac = forged(confused, claims, hmac_digest(public, signing_input, "sha256"))
        refuses_every(api, SAMPLE, token=hmac)


def test_a_token_naming_an_unknown_kid_is_refused(api: Attacker) -> None:
    _, claims = claims_of(api.cloud.token("u-api2-kid"))
    mallory = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims, mallory, algorithm="ES256", headers={"kid": "mallory-key-1"})
    refuses_every(api, GUARDED, token=token)
    no_kid = jwt.encode(claims, mallory, algorithm="ES256")
    refuses_every(api, SAMPLE, token=no_kid)


@pytest.mark.parametrize("garbage", ["", "a.b.c", "x" * 5000, "Bearer"])
def test_garbage_tokens_are_refused(api: Attacker, garbage: str) -> None:
    refuses_every(api, SAMPLE, headers={"Authorization": f"Bearer {garbage}"})  # type: ignore[arg-type]


def after_the_refresh_bound() -> None:
    """A container's copy of the revocations is at most `session_refresh_s` old (60 s; tests/integration/
    identity/test_sessions.py proves the bound): dropping the copy is that minute gone by."""
    sessions.forget()


def test_a_deleted_users_token_is_refused(api: Attacker) -> None:
    token = api.cloud.token("u-api2-deleted")
    assert api.call("DELETE", "/v1/me", token=token).status_code == 202
    after_the_refresh_bound()
    refuses_every(api, SAMPLE, token=token)


def test_a_banned_users_token_is_refused(api: Attacker) -> None:
    token = api.cloud.token("u-api2-banned")
    assert api.call("GET", "/v1/me", token=token).status_code == 200
    revoke_user("u-api2-banned", "banned", utcnow())
    after_the_refresh_bound()
    refuses_every(api, SAMPLE, token=token)


def test_a_logged_out_session_is_refused(api: Attacker) -> None:
    token = api.cloud.token("u-api2-out")
    assert api.call("POST", "/v1/auth/logout", token=token).status_code == 204
    after_the_refresh_bound()
    refuses_every(api, SAMPLE, token=token)


def test_a_user_banned_by_an_admin_loses_their_token_and_cannot_log_in_again(api: Attacker) -> None:
    first = api.call("POST", "/v1/auth/login", json={"code": "dev:api2-banned-by-admin"}).json()
    user_id, token = first["user"]["id"], first["token"]
    ban = api.call("POST", f"/v1/admin/users/{user_id}/ban", "sec-admin", "admin", json={"reason": "farming"})
    assert ban.status_code == 200, ban.text
    after_the_refresh_bound()
    refuses_every(api, SAMPLE, token=token)
    login = api.call("POST", "/v1/auth/login", json={"code": "dev:api2-banned-by-admin"})
    assert login.status_code == 403 and problem_code(login) == "forbidden"
    assert login.json()["reason"] == "banned" and "token" not in login.json()
