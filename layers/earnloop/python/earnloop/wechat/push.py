"""The message-push endpoint's rules: WeChat's URL handshake, signed pushes in plaintext or safe
mode, replay protection, and a dispatch by event type.

Answering: WeChat waits 5 seconds, then retries (three times). A push does at most ONE DynamoDB
write and never calls WeChat. Replays: a timestamp further than `wechat_push_window_s` from now is
refused; inside the window each (timestamp, nonce) is accepted once (a conditional put whose TTL
outlives the window), so a captured request replayed changes nothing. A push we already handled
(the same nonce, or a media verdict whose trace id we hold) is answered `success` again: only WeChat
can sign it, and answering keeps it from retrying.

Event types are dispatched through `HANDLERS` (`(MsgType, Event)` -> handler); a type nobody handles
is answered `success` and ignored. Later issues add theirs (`subscribe_msg_popup_event`, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from pydantic import BaseModel, ConfigDict, ValidationError

from earnloop.platform.errors import UnauthenticatedError, ValidationFailedError, WeChatUnavailableError
from earnloop.platform.observability import logger, metrics
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings
from earnloop.wechat import push_crypto
from earnloop.wechat.push_subscriptions import POPUP, record_popup
from earnloop.wechat.security import outcome_of
from earnloop.wechat.token import app_credentials

if TYPE_CHECKING:
    from collections.abc import Callable

    from earnloop.wechat.store import PushStore

MEDIA_CHECK = ("event", "wxa_media_check")


@dataclass(frozen=True)
class PushConfig:
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)


def push_config() -> PushConfig:
    """The Token and EncodingAESKey of the `wechat_push` secret.

    Raises:
        WeChatUnavailableError: either secret is not filled in yet (503, so WeChat's console says
            the URL does not answer rather than accepting a half-configured endpoint).
    """
    try:
        value = secret_json(get_settings().secret_id("wechat_push"))
    except GetParameterError:
        value = {}
    token, key = value.get("token"), value.get("encoding_aes_key")
    if not isinstance(token, str) or not token or not isinstance(key, str) or not key:
        logger.error("wechat_push secret lacks token or encoding_aes_key")
        raise WeChatUnavailableError("WeChat message push is not configured")
    return PushConfig(token, key)


class SignedQuery(BaseModel):
    """The query string of every call WeChat makes to the push URL."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    signature: str | None = None
    timestamp: str
    nonce: str
    echostr: str | None = None
    encrypt_type: str | None = None
    msg_signature: str | None = None

    @property
    def epoch(self) -> int:
        try:
            return int(self.timestamp)
        except ValueError:
            raise UnauthenticatedError("bad timestamp") from None


@dataclass(frozen=True)
class Push:
    """One verified push, with what a handler needs to write it once."""

    message: dict[str, Any]
    timestamp: int
    nonce: str
    now: int
    # When the nonce may be forgotten: after the window has closed on its timestamp.
    nonce_expires_at: int


def verify_url(query: SignedQuery, config: PushConfig, now: int) -> str:
    """The `echostr` to answer WeChat's URL verification with.

    Raises:
        UnauthenticatedError: the signature is not our Token's, or the timestamp is stale.
    """
    _check_window(query, now)
    if not push_crypto.signed(query.signature, config.token, query.timestamp, query.nonce):
        logger.warning("wechat push handshake with a bad signature")
        raise UnauthenticatedError("bad signature")
    if not query.echostr:
        raise ValidationFailedError("echostr is missing")
    return query.echostr


def open_push(query: SignedQuery, body: bytes, config: PushConfig, now: int) -> Push:
    """The verified message of a push, decrypted in safe mode.

    Raises:
        UnauthenticatedError: a bad or missing signature, a stale timestamp, a ciphertext that is
            not ours.
        ValidationFailedError: a body that is not a JSON object.
    """
    _check_window(query, now)
    if query.encrypt_type == "aes" or query.msg_signature is not None:
        envelope = _json_object(body)
        encrypted = envelope.get("Encrypt")
        if not isinstance(encrypted, str) or not push_crypto.signed(
            query.msg_signature, config.token, query.timestamp, query.nonce, encrypted
        ):
            logger.warning("wechat push with a bad message signature")
            raise UnauthenticatedError("bad signature")
        try:
            # Safe mode alone needs the AppID (read from `wechat`, login's secret, when needed).
            plain = push_crypto.decrypt(encrypted, config.encoding_aes_key, app_credentials().app_id)
        except push_crypto.PushCryptoError as error:
            logger.warning("wechat push not decryptable", extra={"reason": str(error)})
            raise UnauthenticatedError("bad ciphertext") from None
        message = _json_object(plain)
    else:
        if not push_crypto.signed(query.signature, config.token, query.timestamp, query.nonce):
            logger.warning("wechat push with a bad signature")
            raise UnauthenticatedError("bad signature")
        message = _json_object(body)
    window = get_settings().wechat_push_window_s
    return Push(message, query.epoch, query.nonce, now, query.epoch + 2 * window)


def handle(push: Push, store: PushStore) -> None:
    """Runs the handler of the push's event type; an unknown type is logged and ignored."""
    kind = (str(push.message.get("MsgType", "")).lower(), str(push.message.get("Event", "")))
    handler = HANDLERS.get(kind)
    if handler is None:
        logger.info("wechat push ignored", extra={"msg_type": kind[0], "event": kind[1]})
        return
    handler(push, store)


class _MediaCheckPush(BaseModel):
    model_config = ConfigDict(extra="ignore")

    trace_id: str
    errcode: int = 0
    result: dict[str, Any] | None = None
    FromUserName: str | None = None


def record_media_check(push: Push, store: PushStore) -> None:
    """`wxa_media_check`: one conditional write of `VERDICT#<trace_id>` (with the nonce)."""
    try:
        verdict = _MediaCheckPush.model_validate(push.message)
    except ValidationError:
        raise ValidationFailedError("wxa_media_check without a trace_id") from None
    result = verdict.result or {}
    label = result.get("label")
    outcome = outcome_of(result.get("suggest")) if verdict.errcode == 0 else "review"
    written = store.record_verdict(
        timestamp=push.timestamp,
        nonce=push.nonce,
        nonce_expires_at=push.nonce_expires_at,
        verdict={
            "trace_id": verdict.trace_id,
            "outcome": outcome,
            "label": label if isinstance(label, int) else None,
            "openid": verdict.FromUserName,
            "errcode": verdict.errcode,
        },
        now=push.now,
    )
    if written:
        metrics.add_metric(name="MediaCheckVerdicts", unit="Count", value=1)
    logger.info(
        "wechat media check verdict" if written else "wechat media check verdict already recorded",
        extra={"trace_id": verdict.trace_id, "outcome": outcome, "errcode": verdict.errcode},
    )


HANDLERS: dict[tuple[str, str], Callable[[Push, PushStore], None]] = {
    MEDIA_CHECK: record_media_check,
    POPUP: record_popup,
}


def _check_window(query: SignedQuery, now: int) -> None:
    if abs(now - query.epoch) > get_settings().wechat_push_window_s:
        logger.warning("wechat push outside the time window", extra={"skew_s": now - query.epoch})
        raise UnauthenticatedError("stale timestamp")


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise ValidationFailedError("the push is not JSON") from None
    if not isinstance(value, dict):
        raise ValidationFailedError("the push is not a JSON object")
    return value
