"""Safe mode's encryption and the push signatures, checked against an independent construction
(cryptography's own PKCS#7 padder with a 32-byte block), not against the module's own `encrypt`."""

from __future__ import annotations

import base64
import hashlib
import os
import struct

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from earnloop.wechat.push_crypto import PushCryptoError, decrypt, encrypt, signature, signed

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KEY = base64.b64decode(AES_KEY + "=")
APP_ID = "wx1234567890abcdef"
MESSAGE = b'{"MsgType":"event","Event":"wxa_media_check","trace_id":"t-1"}'


def wechat_encrypts(message: bytes, app_id: str = APP_ID, key: bytes = KEY) -> str:
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + app_id.encode()
    padder = padding.PKCS7(256).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def test_a_message_wechat_encrypted_is_decrypted():
    assert decrypt(wechat_encrypts(MESSAGE), AES_KEY, APP_ID) == MESSAGE
    assert decrypt(wechat_encrypts(b""), AES_KEY, APP_ID) == b""
    long = "长消息".encode() * 500
    assert decrypt(wechat_encrypts(long), AES_KEY, APP_ID) == long


def test_what_encrypt_produces_has_wechats_layout():
    raw = base64.b64decode(encrypt(MESSAGE, AES_KEY, APP_ID))
    decryptor = Cipher(algorithms.AES(KEY), modes.CBC(KEY[:16])).decryptor()
    unpadder = padding.PKCS7(256).unpadder()
    plain = unpadder.update(decryptor.update(raw) + decryptor.finalize()) + unpadder.finalize()
    assert struct.unpack(">I", plain[16:20]) == (len(MESSAGE),)
    assert plain[20:] == MESSAGE + APP_ID.encode()


def test_a_message_for_another_app_or_under_another_key_is_refused():
    with pytest.raises(PushCryptoError, match="another app"):
        decrypt(wechat_encrypts(MESSAGE, app_id="wx-other"), AES_KEY, APP_ID)
    other_key = base64.b64decode("ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut" + "=")
    with pytest.raises(PushCryptoError):
        decrypt(wechat_encrypts(MESSAGE, key=other_key), AES_KEY, APP_ID)


@pytest.mark.parametrize("encrypted", ["not base64!", base64.b64encode(b"short").decode(), ""])
def test_garbage_is_refused(encrypted):
    with pytest.raises(PushCryptoError):
        decrypt(encrypted, AES_KEY, APP_ID)


def test_a_key_that_is_not_43_characters_is_refused():
    with pytest.raises(PushCryptoError, match="43"):
        decrypt(wechat_encrypts(MESSAGE), AES_KEY[:-1], APP_ID)


def test_signatures_are_sha1_of_the_sorted_parts():
    expected = hashlib.sha1(b"".join(sorted([b"token", b"1795424400", b"nonce1"]))).hexdigest()
    assert signature("token", "1795424400", "nonce1") == expected
    assert signed(expected, "nonce1", "token", "1795424400")
    assert signed(expected.upper(), "token", "1795424400", "nonce1")
    assert not signed(expected, "token", "1795424401", "nonce1")
    assert not signed(None, "token", "1795424400", "nonce1")
    assert not signed("", "token", "1795424400", "nonce1")
