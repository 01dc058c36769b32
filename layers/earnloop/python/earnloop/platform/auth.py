"""Session tokens: HS256 JWTs carrying the user id and roles, signed with a key from Secrets Manager."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from earnloop.platform.clock import utcnow
from earnloop.platform.errors import ForbiddenError, UnauthenticatedError
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings

_ALGORITHM = "HS256"
_ISSUER = "earnloop"


class Principal(BaseModel):
    user_id: str
    roles: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def _signing_key() -> str:
    key = secret_json(get_settings().secret_id("session")).get("key")
    if not isinstance(key, str) or len(key) < 32:
        raise RuntimeError("session secret has no key of at least 32 characters")
    return key


def issue_token(principal: Principal, now: datetime) -> tuple[str, int]:
    """A signed token for `principal` and its lifetime in seconds."""
    ttl = get_settings().token_ttl_s
    claims = {
        "sub": principal.user_id,
        "roles": sorted(principal.roles),
        "iss": _ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(claims, _signing_key(), algorithm=_ALGORITHM), ttl


def verify_token(token: str, now: datetime | None = None) -> Principal:
    """The principal a token names.

    Raises:
        UnauthenticatedError: malformed, forged, expired or from another issuer.
    """
    moment = now or utcnow()
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["sub", "exp", "iat"], "verify_exp": False},
        )
    except jwt.PyJWTError as error:
        raise UnauthenticatedError("token is invalid") from error
    # Expiry is checked against the injected clock, not PyJWT's, so tests can move time.
    if int(claims["exp"]) <= int(moment.timestamp()):
        raise UnauthenticatedError("token has expired")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not isinstance(claims["sub"], str):
        raise UnauthenticatedError("token is invalid")
    return Principal(user_id=claims["sub"], roles=frozenset(str(r) for r in roles))


_bearer = HTTPBearer(auto_error=False)


def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthenticatedError("missing bearer token")
    return verify_token(credentials.credentials)


def admin_user(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    if not principal.is_admin:
        raise ForbiddenError("admin role required")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
