"""Printable QR codes: signing and verifying, with no I/O.

A code is `<key-version><batch-id>.<serial>.<mac>` in upper-case RFC 4648 base32 without padding,
so a QR symbol can hold it (or its URL) in alphanumeric mode:
- key version: one letter A-Z naming the secret key that signed it (keys rotate; old codes keep theirs);
- batch id: 8 base32 characters (40 random bits);
- serial: the integer in base32 digits (A=0 ... 7=31), no leading zero digit, from 1;
- mac: HMAC-SHA256(key, "<version>.<batch>.<serial>") truncated to 16 bytes, 26 characters.

Each (batch, serial) has exactly one accepted spelling: the serial must be canonical and the MAC is
compared in its encoded form, so no alteration of any character can verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from earnloop.platform.errors import InvalidCodeError
from earnloop.platform.versioned_keys import VersionedKeys

if TYPE_CHECKING:
    from collections.abc import Sequence

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_DIGIT = {char: value for value, char in enumerate(ALPHABET)}
# Every pair of digits (10 bits): encoding a MAC or a serial is a few lookups, not a loop per bit
# (base64.b32encode is pure Python and three times slower; exports sign a million codes).
_PAIRS = tuple(a + b for a in ALPHABET for b in ALPHABET)
_MAC_SHIFTS = tuple(range(120, -1, -10))
MAC_BYTES = 16
MAC_CHARS = 26
BATCH_ID_CHARS = 8
MAX_SERIAL_CHARS = 7

_CODE = re.compile(r"([A-Z])([A-Z2-7]{8})\.([A-Z2-7]{1,7})\.([A-Z2-7]{26})")
# Any http(s) URL: a printed code's URL must also start with one of the configured bases.
_ANY_URL = re.compile(r"HTTPS?://([^/?#\s]*)\S*")
_BATCH_ID = re.compile(r"[A-Z2-7]{8}")
_SCAN_ID = re.compile(r"([A-Z2-7]{8})-([1-9][0-9]{0,9})")


class QrKeys(VersionedKeys):
    """The signing keys by version, and the version new batches use."""

    LABEL = "qr"


@dataclass(frozen=True)
class CodeRef:
    """A verified code: which batch and serial it names, and its canonical text."""

    key_version: str
    batch_id: str
    serial: int
    code: str

    @property
    def scan_id(self) -> str:
        return scan_id_of(self.batch_id, self.serial)


def new_batch_id() -> str:
    """40 random bits as 8 base32 characters."""
    return base64.b32encode(secrets.token_bytes(5)).decode()


def is_batch_id(text: str) -> bool:
    return _BATCH_ID.fullmatch(text) is not None


def _b32_mac(digest: bytes) -> str:
    """The unpadded base32 of a 16-byte MAC: 128 bits and two zero bits make 13 digit pairs."""
    bits = int.from_bytes(digest[:MAC_BYTES], "big") << 2
    return "".join([_PAIRS[(bits >> shift) & 1023] for shift in _MAC_SHIFTS])


def encode_serial(serial: int) -> str:
    if serial < 1:
        raise ValueError("serials start at 1")
    if serial < 1 << 20:
        return (_PAIRS[serial >> 10] + _PAIRS[serial & 1023]).lstrip("A")
    digits: list[str] = []
    while serial:
        serial, digit = divmod(serial, 32)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def decode_serial(text: str) -> int | None:
    """The serial of canonical base32 digits (no leading zero digit), or None."""
    if not text or text[0] == "A" or len(text) > MAX_SERIAL_CHARS:
        return None
    value = 0
    for char in text:
        digit = _DIGIT.get(char)
        if digit is None:
            return None
        value = value * 32 + digit
    return value


def scan_id_of(batch_id: str, serial: int) -> str:
    """A scan's id follows from its code, so reading a scan is one GetItem."""
    return f"{batch_id}-{serial}"


def parse_scan_id(scan_id: str) -> tuple[str, int] | None:
    match = _SCAN_ID.fullmatch(scan_id)
    if match is None:
        return None
    return match.group(1), int(match.group(2))


class Signer:
    """Signs the codes of one batch; the keyed HMAC state is built once and copied per code."""

    def __init__(self, keys: QrKeys, key_version: str, batch_id: str) -> None:
        key = keys.keys.get(key_version)
        if key is None:
            raise KeyError(f"qr key version {key_version} is not in the secret")
        self._prefix = f"{key_version}{batch_id}"
        self._message_prefix = f"{key_version}.{batch_id}.".encode()
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def mac(self, serial_text: str) -> str:
        keyed = self._keyed.copy()
        keyed.update(self._message_prefix + serial_text.encode())
        return _b32_mac(keyed.digest())

    def code(self, serial: int) -> str:
        serial_text = encode_serial(serial)
        return f"{self._prefix}.{serial_text}.{self.mac(serial_text)}"


def sign(keys: QrKeys, batch_id: str, serial: int, key_version: str | None = None) -> str:
    """The code of `serial` in `batch_id`, signed with `key_version` (default: the current key)."""
    return Signer(keys, key_version or keys.current, batch_id).code(serial)


@lru_cache(maxsize=8)
def _printed_url(url_bases: tuple[str, ...]) -> re.Pattern[str]:
    """A printed code's URL on one of `url_bases` (`qr_url_base` and any former bases), upper-cased
    as a printer may print it to keep the QR symbol alphanumeric; http or https, the host, port
    and path exactly as configured, then the code and an optional query or fragment."""
    prefixes = []
    for base in url_bases:
        parts = urlsplit(base.strip().upper())
        if parts.scheme in ("http", "https") and parts.netloc:
            path = parts.path if parts.path.endswith("/") else parts.path + "/"
            prefixes.append(re.escape(f"//{parts.netloc}{path}"))
    if not prefixes:
        return re.compile(r"(?!)")
    return re.compile(rf"HTTPS?:(?:{'|'.join(prefixes)})([^/?#\s]+)(?:[?#]\S*)?")


def extract_code(raw: str, *, url_bases: Sequence[str]) -> str:
    """The code text in what a scanner read: the bare code or its printed URL on one of
    `url_bases`, in any case, with surrounding whitespace, percent-encoded or not.

    Raises:
        InvalidCodeError: a URL on another host (`foreign_domain`: someone else's QR code, or a
            lookalike of ours), or anything else that is not a code (`malformed`).
    """
    text = raw.strip()
    if "%" in text:
        # The mini-program receives the scanned URL percent-encoded in `q`; a client may pass it on.
        text = unquote(text).strip()
    text = text.upper()
    url = _printed_url(tuple(url_bases)).fullmatch(text)
    if url is not None:
        text = url.group(1)
    elif (other := _ANY_URL.fullmatch(text)) is not None and not _is_one_of(other.group(1), url_bases):
        raise InvalidCodeError("this QR code is not one of ours", reason="foreign_domain")
    if _CODE.fullmatch(text) is None:
        raise InvalidCodeError("this is not one of our codes", reason="malformed")
    return text


def _is_one_of(netloc: str, url_bases: Sequence[str]) -> bool:
    return any(urlsplit(base.strip().upper()).netloc == netloc for base in url_bases)


def verify(keys: QrKeys, raw: str, *, url_bases: Sequence[str]) -> CodeRef:
    """The batch and serial a scanned code (bare, or its URL on one of `url_bases`) names, checked
    against its MAC without any read.

    Raises:
        InvalidCodeError: malformed, on a foreign domain, non-canonical, signed with an unknown key
            version, or forged.
    """
    text = extract_code(raw, url_bases=url_bases)
    match = _CODE.fullmatch(text)
    assert match is not None  # extract_code returned a full match
    version, batch_id, serial_text, mac = match.groups()
    serial = decode_serial(serial_text)
    if serial is None:
        raise InvalidCodeError("this is not one of our codes", reason="malformed")
    if version not in keys.keys:
        # Answered like a bad MAC: which versions exist is no secret, but there is nothing to add.
        raise InvalidCodeError("this code is not genuine", reason="forged")
    if not hmac.compare_digest(Signer(keys, version, batch_id).mac(serial_text), mac):
        raise InvalidCodeError("this code is not genuine", reason="forged")
    return CodeRef(key_version=version, batch_id=batch_id, serial=serial, code=text)


def parse_unverified(code: str) -> CodeRef | None:
    """Batch and serial of a code already verified elsewhere (a ledger txn id), or None if malformed."""
    match = _CODE.fullmatch(code)
    if match is None:
        return None
    version, batch_id, serial_text, _ = match.groups()
    serial = decode_serial(serial_text)
    if serial is None:
        return None
    return CodeRef(key_version=version, batch_id=batch_id, serial=serial, code=code)
