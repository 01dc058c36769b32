"""The message-push signatures and the safe mode's encryption, as WeChat specifies them.

Docs: https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html
(and the encryption scheme it links, shared with official accounts).

- `signature` = SHA1 hex of the sorted, concatenated [Token, timestamp, nonce]: the URL handshake and
  every push carry it. In safe mode `msg_signature` = SHA1 of sorted [Token, timestamp, nonce,
  Encrypt] covers the ciphertext too (plaintext mode's signature does not cover the body: only
  HTTPS protects it there, which is why safe mode is the one to configure).
- Safe mode: AESKey = base64decode(EncodingAESKey + "=") (43 characters -> 32 bytes), AES-256-CBC with
  IV = AESKey[:16], PKCS#7 padding to a 32-byte block; the plaintext is 16 random bytes, the
  message's length as 4 big-endian bytes, the message, then the AppID, which must be ours.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
AES_KEY_CHARS = 43


class PushCryptoError(Exception):
    """A push that cannot be ours: bad key, ciphertext, padding, length or AppID."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed(expected: str | None, *parts: str) -> bool:
    """Whether `expected` is the signature of `parts` (compared in constant time)."""
    if not expected:
        return False
    return hmac.compare_digest(expected.lower().encode(), signature(*parts).encode())


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != AES_KEY_CHARS:
        raise PushCryptoError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise PushCryptoError("EncodingAESKey is not base64") from None
    if len(key) != 32:
        raise PushCryptoError("EncodingAESKey does not decode to 32 bytes")
    return key


def decrypt(encrypted: str, encoding_aes_key: str, app_id: str) -> bytes:
    """The message inside a safe-mode `Encrypt` value.

    Raises:
        PushCryptoError: not decryptable with our key, or meant for another app.
    """
    key = aes_key(encoding_aes_key)
    try:
        ciphertext = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise PushCryptoError("Encrypt is not base64") from None
    if not ciphertext or len(ciphertext) % 16:
        raise PushCryptoError("Encrypt is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= BLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise PushCryptoError("bad padding")
    plain = padded[:-pad]
    if len(plain) < 20:
        raise PushCryptoError("too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, tail = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length:
        raise PushCryptoError("bad length")
    if not hmac.compare_digest(tail, app_id.encode()):
        raise PushCryptoError("meant for another app")
    return message


def encrypt(message: bytes, encoding_aes_key: str, app_id: str, *, prefix: bytes | None = None) -> str:
    """A safe-mode `Encrypt` value for `message` (what WeChat sends; a reply would use it too)."""
    key = aes_key(encoding_aes_key)
    plain = (prefix or os.urandom(16)) + struct.pack(">I", len(message)) + message + app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
