"""Session tokens: signed with the secret from Secrets Manager, expiring, carrying roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from earnloop.platform.auth import Principal, issue_token, verify_token
from earnloop.platform.errors import UnauthenticatedError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_token_names_its_user_and_roles_until_it_expires(moto_cloud):
    token, ttl = issue_token(Principal(user_id="u1", roles=frozenset({"admin"})), NOW)
    principal = verify_token(token, NOW + timedelta(seconds=ttl - 1))
    assert principal.user_id == "u1" and principal.is_admin
    with pytest.raises(UnauthenticatedError, match="expired"):
        verify_token(token, NOW + timedelta(seconds=ttl))


def test_a_token_signed_with_another_key_or_algorithm_is_refused(moto_cloud):
    claims = {
        "sub": "u1",
        "roles": ["admin"],
        "iss": "earnloop",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60,
    }
    forged = jwt.encode(claims, "x" * 48, algorithm="HS256")
    with pytest.raises(UnauthenticatedError):
        verify_token(forged, NOW)
    unsigned = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(UnauthenticatedError):
        verify_token(unsigned, NOW)
    with pytest.raises(UnauthenticatedError):
        verify_token("not-a-token", NOW)


def test_a_token_from_another_issuer_is_refused(moto_cloud):
    key = moto_cloud.secret_values["session"]["key"]
    claims = {
        "sub": "u1",
        "iss": "someone-else",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60,
    }
    with pytest.raises(UnauthenticatedError):
        verify_token(jwt.encode(claims, key, algorithm="HS256"), NOW)
