"""Personal data out of every log line (PIPL): the one Logger's formatter masks each record as a whole.

Two nets, because a value can reach a log line under any name or inside any text:
- by key: the value of a key that names personal data or a credential (openid, unionid, phone,
  address, token, ...) is masked whatever it is, nested dicts and lists included;
- by shape: in every string left (the message, other values, an exception's traceback), JWT-shaped
  strings, `Bearer ...` credentials, 11-digit mainland mobile numbers and openid/unionid-shaped
  strings (28 characters starting with `o`) are masked.

Masking happens on the record dict just before it is serialized, so keys appended with `log_keys`,
`extra=` and exception text all pass through it. Masked identifiers keep a few characters to
correlate lines (`observability.mask`); whole structures (an address) become `***`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

# Substrings of a key (lower case) whose value is personal data or a credential.
SENSITIVE_KEYS = (
    "openid",
    "unionid",
    "phone",
    "mobile",
    "address",
    "token",
    "authorization",
    "secret",
    "password",
    "session_key",
    "js_code",
    "id_card",
)
# Keys that contain one of the words above but hold no personal data (counts, flags, kinds).
_HARMLESS_KEYS = frozenset({"has_unionid", "token_kind", "token_ttl_s", "tokens"})

_PATTERNS = (
    # A JWT (header.payload.signature, base64url; the header always starts `eyJ`).
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)\bbearer\s+[^\s\"',;]+"),
    # A mainland mobile number, optionally with its country code, not inside a longer number.
    re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])"),
    # An openid or unionid: 28 characters of base64url starting with `o`.
    re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])"),
)
MASKED = "***"


def _mask_identifier(value: str) -> str:
    from earnloop.platform.observability import mask

    return mask(value)


def _sensitive(key: str) -> bool:
    lowered = key.lower()
    return lowered not in _HARMLESS_KEYS and any(word in lowered for word in SENSITIVE_KEYS)


def mask_text(text: str) -> str:
    """`text` with every personal-data-shaped substring masked."""
    for pattern in _PATTERNS:
        text = pattern.sub(MASKED, text)
    return text


def mask_value(value: Any, key: str | None = None) -> Any:
    """`value` masked: wholesale under a sensitive key, by shape otherwise (recursively)."""
    if key is not None and _sensitive(key):
        if isinstance(value, str):
            return _mask_identifier(value)
        # A flag or nothing says nothing about a person; anything else (a number, an address) goes.
        return value if value is None or isinstance(value, bool) else MASKED
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Anything else (an exception in Powertools' stack trace, a Decimal, a model) would be written
    # as its str(): mask that.
    return mask_text(str(value))


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter with every record masked before it is written."""

    def serialize(self, log: LogRecord) -> str:
        return super().serialize(log={k: mask_value(v, k) for k, v in log.items()})
