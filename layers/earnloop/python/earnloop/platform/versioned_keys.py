"""HMAC keys by version, read from a Secrets Manager secret: what QR codes and share links sign with.

The secret is `{"current": "A", "A": "<secret>", "B": ...}`: each version one letter A-Z, carried in
what it signs, so a key can be rotated while what was signed with the old one keeps verifying.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from collections.abc import Mapping

MIN_KEY_CHARS = 32


@dataclass(frozen=True)
class VersionedKeys:
    """The signing keys by version, and the version new signatures use."""

    current: str
    keys: Mapping[str, bytes]

    # Names the keys in errors ("qr key is shorter than 32 characters").
    LABEL: ClassVar[str] = "signing"

    @classmethod
    def from_secret(cls, value: Mapping[str, Any]) -> Self:
        """Reads the secret's value.

        Raises:
            ValueError: no usable current key, a version that is not one letter A-Z, or a short key.
        """
        current = value.get("current")
        keys: dict[str, bytes] = {}
        for version, secret in value.items():
            if version == "current":
                continue
            if not re.fullmatch(r"[A-Z]", version) or not isinstance(secret, str):
                raise ValueError(f"{cls.LABEL} key versions are single letters A-Z with string secrets")
            if len(secret) < MIN_KEY_CHARS:
                raise ValueError(f"{cls.LABEL} key is shorter than {MIN_KEY_CHARS} characters")
            keys[version] = secret.encode()
        if not isinstance(current, str) or current not in keys:
            raise ValueError(f"{cls.LABEL} keys name no usable current version")
        return cls(current=current, keys=keys)
