"""Referral tokens: what a share link carries, signed and verified with no I/O.

A token is `<key-version><share-id>.<sharer-id>.<expires>.<mac>`:
- key version: one letter A-Z naming the secret key that signed it (keys rotate; links already
  sent keep verifying with theirs while their version stays in the secret);
- share id: the share's ULID (26 characters), so a token resolves to its share with one GetItem;
- sharer id: the user who shared (a user id), so a referral is judged without reading the share;
- expires: Unix seconds, decimal;
- mac: HMAC-SHA256(key, "<version>.<share-id>.<sharer-id>.<expires>") truncated to 16 bytes,
  base64url without padding (22 characters).

Every character is URL-safe, so the token goes into a mini-program path's query as it is, and it
stays under the 128 characters `POST /v1/auth/login` accepts (about 90 with a ULID sharer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from earnloop.platform.versioned_keys import VersionedKeys

MAC_BYTES = 16
TokenProblem = Literal["malformed", "forged", "expired"]

_TOKEN = re.compile(r"([A-Z])([0-9A-Z]{26})\.([0-9A-Za-z_-]{1,40})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{22})")


class TokenError(ValueError):
    """A token that names no genuine, live share: `reason` is malformed, forged or expired."""

    def __init__(self, reason: TokenProblem) -> None:
        super().__init__(f"referral token {reason}")
        self.reason: TokenProblem = reason


class ShareKeys(VersionedKeys):
    """The signing keys by version, and the version new tokens use."""

    LABEL = "share"


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says."""

    share_id: str
    sharer_id: str
    expires_at: datetime


def _mac(key: bytes, version: str, share_id: str, sharer_id: str, expires: int) -> str:
    message = f"{version}.{share_id}.{sharer_id}.{expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(keys: ShareKeys, share_id: str, sharer_id: str, expires_at: datetime) -> str:
    """The token of a share, signed with the current key, valid until `expires_at`."""
    expires = int(expires_at.timestamp())
    version = keys.current
    mac = _mac(keys.keys[version], version, share_id, sharer_id, expires)
    token = f"{version}{share_id}.{sharer_id}.{expires}.{mac}"
    if _TOKEN.fullmatch(token) is None:
        raise ValueError("share id or sharer id outside the token alphabet")
    return token


def authentic(keys: ShareKeys, token: str) -> TokenClaims:
    """The share and sharer a token names, checked against its MAC without any read, expired or not.

    Raises:
        TokenError: malformed, or signed with an unknown key version or altered (forged).
    """
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise TokenError("malformed")
    version, share_id, sharer_id, expires_text, mac = match.groups()
    key = keys.keys.get(version)
    expires = int(expires_text)
    # An unknown version answers like a bad MAC: which versions exist adds nothing for the caller.
    if key is None or not hmac.compare_digest(_mac(key, version, share_id, sharer_id, expires), mac):
        raise TokenError("forged")
    return TokenClaims(
        share_id=share_id, sharer_id=sharer_id, expires_at=datetime.fromtimestamp(expires, UTC)
    )


def verify(keys: ShareKeys, token: str, now: datetime) -> TokenClaims:
    """`authentic`, and live at `now`.

    Raises:
        TokenError: malformed, forged, or past its expiry at `now` (expired). Forgery is checked
            first: an altered expiry is forged.
    """
    claims = authentic(keys, token)
    if now >= claims.expires_at:
        raise TokenError("expired")
    return claims
