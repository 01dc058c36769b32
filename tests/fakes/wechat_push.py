"""What WeChat sends to `/wechat/push`: a message signed with the console's Token, in plaintext or
encrypted for safe mode. Tests of anything downstream of a push (the media verdict's consumers)
build their requests here, so they sign exactly as the endpoint's own tests do."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from typing import Any

from earnloop.wechat.push_crypto import encrypt

_NONCES = itertools.count(1_000_000)


def sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(
    token: str, *, timestamp: int | None = None, nonce: str | None = None, encrypted: str | None = None
) -> dict[str, str]:
    """The query string WeChat adds: `signature`, `timestamp`, `nonce`, and in safe mode
    `encrypt_type=aes` with `msg_signature` over the ciphertext too."""
    when = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or str(next(_NONCES))
    query = {"signature": sha1(token, when, nonce), "timestamp": when, "nonce": nonce}
    if encrypted is not None:
        query |= {"encrypt_type": "aes", "msg_signature": sha1(token, when, nonce, encrypted)}
    return query


def signed_push(
    message: dict[str, Any], *, token: str, aes_key: str | None = None, app_id: str | None = None
) -> tuple[dict[str, str], str]:
    """(query, body) of a push: plaintext, or safe mode when `aes_key` and `app_id` are given."""
    if aes_key is None or app_id is None:
        return signed_query(token), json.dumps(message)
    encrypted = encrypt(json.dumps(message).encode(), aes_key, app_id)
    envelope = {"ToUserName": "gh_0123456789ab", "Encrypt": encrypted}
    return signed_query(token, encrypted=encrypted), json.dumps(envelope)


def media_check(trace_id: str, suggest: str = "pass", label: int = 100, **extra: Any) -> dict[str, Any]:
    """A `wxa_media_check` push (v2) as WeChat sends it."""
    return {
        "ToUserName": "gh_0123456789ab",
        "FromUserName": "oUser0000000000000000000001",
        "CreateTime": int(time.time()),
        "MsgType": "event",
        "Event": "wxa_media_check",
        "appid": "wx-fake-app",
        "trace_id": trace_id,
        "version": 2,
        "detail": [
            {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}
        ],
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
        **extra,
    }
