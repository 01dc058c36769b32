"""Session tokens: ES256 JWTs carrying the user id and roles, signed in KMS by `auth_login` alone.

Every other function holds only the public halves (`platform.signing`), so no role but the login's
can mint a token, an admin token included. The header's `kid` picks the key version; verification
accepts ES256 and nothing else, so neither `alg: none` nor an HS256 token keyed with the public
key (algorithm confusion) gets through.

Each token names its session (`sid`, random): a logout revokes that session, a ban or deletion every
session of the user begun before it; `current_user` refuses both through the container's copy of the
revocations (platform/sessions.py), which costs no read while it is fresh.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.utils import base64url_encode
from pydantic import BaseModel

from earnloop.platform.clock import utcnow
from earnloop.platform.errors import ForbiddenError, UnauthenticatedError
from earnloop.platform.sessions import is_revoked
from earnloop.platform.settings import get_settings
from earnloop.platform.signing import UnknownKeyError, session_key

_ISSUER = "earnloop"


class Principal(BaseModel):
    user_id: str
    roles: frozenset[str] = frozenset()
    # The token's session and issue time (epoch seconds): what a logout or a ban revokes.
    session_id: str = ""
    issued_at: int = 0

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def _segment(value: Mapping[str, object]) -> bytes:
    return base64url_encode(json.dumps(value, separators=(",", ":")).encode())


def issue_token(principal: Principal, now: datetime) -> tuple[str, int]:
    """A token for `principal` signed by the current session key version, and its lifetime in seconds.

    Needs `kms:Sign` on that version: only `auth_login` has it (and the tests and the local cloud).
    """
    ttl = get_settings().token_ttl_s
    keys = session_key()
    header = {"alg": keys.definition.jws_algorithm, "typ": "JWT", "kid": keys.signing_kid}
    claims = {
        "sub": principal.user_id,
        "roles": sorted(principal.roles),
        "iss": _ISSUER,
        # 128 random bits: unguessable, so no one can log out another's session.
        "sid": secrets.token_urlsafe(16),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    # PyJWT would need the private key; KMS signs the JWS signing input instead (RFC 7515 5.1).
    signing_input = _segment(header) + b"." + _segment(claims)
    return (signing_input + b"." + base64url_encode(keys.sign(signing_input))).decode(), ttl


def verify_token(token: str, now: datetime | None = None) -> Principal:
    """The principal a token names.

    Raises:
        UnauthenticatedError: malformed, forged, expired or from another issuer.
    """
    moment = now or utcnow()
    keys = session_key()
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise UnauthenticatedError("token names no key")
        public = keys.public_key(kid)
        claims = jwt.decode(
            token,
            public.key,
            # Only the key's own algorithm: never `none`, never HMAC keyed with the public key.
            algorithms=[public.algorithm],
            issuer=_ISSUER,
            options={"require": ["sub", "sid", "exp", "iat"], "verify_exp": False, "verify_iat": False},
        )
    except UnknownKeyError as error:
        raise UnauthenticatedError("token is signed by an unknown key") from error
    except jwt.PyJWTError as error:
        raise UnauthenticatedError("token is invalid") from error
    # Expiry and issue time are checked against the injected clock, not PyJWT's, so tests (and the
    # local cloud's moved clock, `earnloop clock`) can move time.
    try:
        issued, expires = int(claims["iat"]), int(claims["exp"])
    except (TypeError, ValueError, OverflowError) as error:
        raise UnauthenticatedError("token is invalid") from error
    if expires <= int(moment.timestamp()):
        raise UnauthenticatedError("token has expired")
    if issued > int(moment.timestamp()):
        raise UnauthenticatedError("token is not yet valid")
    roles = claims.get("roles", [])
    session_id = claims["sid"]
    if (
        not isinstance(roles, list)
        or not isinstance(claims["sub"], str)
        or not isinstance(session_id, str)
        or not 0 < len(session_id) <= 64
    ):
        raise UnauthenticatedError("token is invalid")
    return Principal(
        user_id=claims["sub"],
        roles=frozenset(str(r) for r in roles),
        session_id=session_id,
        issued_at=issued,
    )


_bearer = HTTPBearer(auto_error=False)


def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthenticatedError("missing bearer token")
    now = utcnow()
    principal = verify_token(credentials.credentials, now)
    if is_revoked(principal.user_id, principal.session_id, principal.issued_at, now):
        raise UnauthenticatedError("session has been revoked")
    return principal


def admin_user(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    if not principal.is_admin:
        raise ForbiddenError("admin role required")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
