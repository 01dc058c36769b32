"""Feed cursors: opaque, signed and bound to one reader and one feed.

A cursor is `base64url(payload) "." base64url(HMAC-SHA256(key, payload)[:16])`, the payload the
compact JSON `{"r": reader, "f": feed, "k": last key}`. The key is a random value in Secrets
Manager (`feed_cursor`), so only our functions can make one; a cursor checked against another
reader, another feed (kind or topic), or changed in any byte is refused as 422 `validation_error`.
The signature makes the last key trustworthy as well: a client cannot aim a query at a key we never
issued, so no per-attribute patterns are needed beyond the shape the feed's query expects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from earnloop.platform.errors import ValidationFailedError

_MAC_BYTES = 16
MAX_CURSOR_CHARS = 2048


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode((text + "=" * (-len(text) % 4)).encode(), altchars=b"-_", validate=True)


class CursorSigner:
    """Signs and checks cursors with one key (bytes), fetched by whoever builds it."""

    def __init__(self, key: bytes | Callable[[], bytes]) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        key = self._key() if callable(self._key) else self._key
        return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, reader_id: str, feed: str, last_key: Mapping[str, Any] | None) -> str | None:
        """The cursor of the page after `last_key`, or None on the last page."""
        if not last_key:
            return None
        payload = json.dumps(
            {"r": reader_id, "f": feed, "k": dict(last_key)}, separators=(",", ":"), sort_keys=True
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(
        self, cursor: str | None, reader_id: str, feed: str, attributes: Sequence[str]
    ) -> dict[str, str] | None:
        """The last key a cursor carries, if it is ours, for this reader and this feed.

        Raises:
            ValidationFailedError: malformed, tampered with, or issued to another reader or feed.
        """
        if cursor is None:
            return None
        try:
            encoded_payload, encoded_mac = cursor.split(".")
            payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
        except (ValueError, binascii.Error) as error:
            raise ValidationFailedError("cursor is malformed") from error
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise ValidationFailedError("cursor is not valid")
        try:
            decoded = json.loads(payload)
        except ValueError as error:
            raise ValidationFailedError("cursor is malformed") from error
        if not isinstance(decoded, dict) or decoded.get("r") != reader_id or decoded.get("f") != feed:
            raise ValidationFailedError("cursor belongs to another reader or feed")
        key = decoded.get("k")
        if (
            not isinstance(key, dict)
            or set(key) != set(attributes)
            or not all(isinstance(v, str) and v for v in key.values())
        ):
            raise ValidationFailedError("cursor is malformed")
        return {str(k): str(v) for k, v in key.items()}
