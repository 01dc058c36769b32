"""The WeChat client: `code2Session` (`GET /sns/jscode2session`) over urllib3, with a timeout and
retries on WeChat's transient failures.

Protocol: `GET {base}/sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code`
answers HTTP 200 with JSON `{openid, session_key, unionid?}` or `{errcode, errmsg}` (errcode 0 or
absent means success). Mapped here, once:

- 40029 (invalid code), 40163 (code already used) -> `UnauthenticatedError` (401);
- 45011 (minute quota reached) -> `RateLimitedError` (429, Retry-After 60);
- -1 (system busy), HTTP 5xx, connection errors, timeouts -> retried with a short backoff, then
  `WeChatUnavailableError` (503);
- anything else (bad app id or secret, a blocked user, malformed JSON, an unknown errcode) ->
  `WeChatUnavailableError` and an error log for the operator.

The app secret and the `js_code` travel in the query string, so neither the URL nor an exception
text that may embed it is ever logged; `session_key` never leaves this module's return value.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import urllib3
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from earnloop.platform.errors import RateLimitedError, UnauthenticatedError, WeChatUnavailableError
from earnloop.platform.observability import logger, mask
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings
from earnloop.platform.snapshot import on_restore

if TYPE_CHECKING:
    from collections.abc import Callable

CODE2SESSION_PATH = "/sns/jscode2session"
SYSTEM_BUSY = -1
INVALID_CODE = 40029
CODE_USED = 40163
RATE_LIMITED = 45011
RATE_LIMIT_RETRY_AFTER_S = 60


class WeChatSession(BaseModel):
    """Who WeChat says the `wx.login` code belongs to. `unionid` only when the app is bound to an
    Open Platform account."""

    model_config = ConfigDict(frozen=True)

    openid: str
    unionid: str | None = None
    # For a caller that checks signed user data; SecretStr so no repr, log or dump shows it.
    session_key: SecretStr


@dataclass(frozen=True)
class WeChatCredentials:
    app_id: str
    app_secret: str = field(repr=False)


class _Transient(Exception):
    """One attempt failed in a way another attempt may not: retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _SecretRedactor(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG: blank the secret and code."""

    _PATTERN = re.compile(r"((?:secret|js_code)=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "secret=" in message or "js_code=" in message:
            record.msg, record.args = self._PATTERN.sub(r"\1***", message), None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_SecretRedactor())


class WeChatClient:
    """Calls WeChat's server API. Thread-safe; one per process is enough."""

    def __init__(
        self,
        base_url: str,
        credentials: Callable[[], WeChatCredentials],
        *,
        timeout_s: float,
        retries: int,
        backoff_s: float = 0.1,
        http: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        # `total` bounds connect and read together, so an attempt never outlasts `timeout_s`.
        self._timeout = urllib3.Timeout(total=timeout_s)
        self._attempts = 1 + max(0, retries)
        self._backoff_s = backoff_s
        self._http = http or pool()
        self._sleep = sleep

    def code2session(self, code: str) -> WeChatSession:
        """Exchanges a `wx.login` code for the user's openid (and unionid, if any).

        Raises:
            UnauthenticatedError: the code is invalid or was used before.
            RateLimitedError: WeChat's rate limit for this app or user was reached.
            WeChatUnavailableError: WeChat failed, timed out or answered something unexpected.
        """
        credentials = self._credentials()
        fields = {
            "appid": credentials.app_id,
            "secret": credentials.app_secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        reason = ""
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                return self._attempt(fields, retrying=attempt > 0)
            except _Transient as transient:
                reason = transient.reason
                logger.warning(
                    "wechat call failed, may retry", extra={"reason": reason, "attempt": attempt + 1}
                )
        logger.error("wechat unavailable", extra={"reason": reason, "attempts": self._attempts})
        raise WeChatUnavailableError("WeChat login failed, please retry")

    def _attempt(self, fields: dict[str, str], *, retrying: bool) -> WeChatSession:
        try:
            response = self._http.request(
                "GET",
                self._base_url + CODE2SESSION_PATH,
                fields=fields,
                timeout=self._timeout,
                retries=False,
            )
        except urllib3.exceptions.TimeoutError:
            raise _Transient("timeout") from None
        except urllib3.exceptions.HTTPError as error:
            # The exception text can carry the full URL with the secret: keep its class name only,
            # and drop it as a cause so no traceback prints it.
            raise _Transient(type(error).__name__) from None
        if response.status >= 500:
            raise _Transient(f"http {response.status}")
        if response.status != 200:
            raise self._unexpected("unexpected http status", status=response.status)
        return self._session(response.data, retrying=retrying)

    def _session(self, body: bytes, *, retrying: bool) -> WeChatSession:
        try:
            payload = json.loads(body)
        except ValueError:
            raise self._unexpected("wechat answered malformed json") from None
        if not isinstance(payload, dict):
            raise self._unexpected("wechat answered malformed json")
        errcode = payload.get("errcode") or 0
        if errcode == SYSTEM_BUSY:
            raise _Transient("system busy")
        if errcode == CODE_USED and retrying:
            # Our earlier attempt timed out after WeChat had consumed the code: our failure, not the user's.
            raise self._unexpected("wechat consumed the code on an attempt that failed", errcode=errcode)
        if errcode in (INVALID_CODE, CODE_USED):
            logger.info("wechat refused the login code", extra={"errcode": errcode})
            raise UnauthenticatedError("the login code is invalid or was used before")
        if errcode == RATE_LIMITED:
            logger.warning("wechat rate limit reached", extra={"errcode": errcode})
            raise RateLimitedError(RATE_LIMIT_RETRY_AFTER_S, "too many logins, retry in a minute")
        if errcode != 0:
            raise self._unexpected("wechat refused the call", errcode=errcode, errmsg=errmsg(payload))
        try:
            session = WeChatSession.model_validate(payload)
        except ValidationError:
            raise self._unexpected("wechat answered without openid or session key") from None
        logger.debug(
            "wechat session opened",
            extra={"openid": mask(session.openid), "has_unionid": session.unionid is not None},
        )
        return session

    @staticmethod
    def _unexpected(message: str, **extra: Any) -> WeChatUnavailableError:
        # Not retried: the same request would get the same answer. An operator has to look.
        logger.error(message, extra=extra)
        return WeChatUnavailableError("WeChat login failed")


def errmsg(payload: dict[str, Any]) -> str:
    # WeChat's errmsg is a fixed text plus a request id; it never echoes the code or the secret.
    return str(payload.get("errmsg", ""))[:200]


@lru_cache(maxsize=1)
def pool() -> urllib3.PoolManager:
    # One connection pool per container for every WeChat call (login here, the server APIs in
    # `earnloop.wechat`), reused across invocations (keep-alive to WeChat).
    return urllib3.PoolManager(num_pools=2, maxsize=8, retries=False)


# A restored snapshot opens its own connections (none is made at init; this guards a future change).
on_restore(pool.cache_clear)


def _credentials_from_secret() -> WeChatCredentials:
    try:
        value = secret_json(get_settings().secret_id("wechat"))
    except GetParameterError:
        # A deploy creates the secret empty (infra/secrets.py): until an operator stores the
        # AppID and AppSecret, logins are unavailable, not a crash (a 500 would be a bug).
        logger.error("wechat secret has no value yet")
        raise WeChatUnavailableError("WeChat login is not configured") from None
    app_id, app_secret = value.get("app_id"), value.get("app_secret")
    if not isinstance(app_id, str) or not isinstance(app_secret, str) or not app_id or not app_secret:
        logger.error("wechat secret lacks app_id or app_secret")
        raise WeChatUnavailableError("WeChat login is not configured")
    return WeChatCredentials(app_id=app_id, app_secret=app_secret)


def default_client() -> WeChatClient:
    """The client for the current settings; the secret is read (cached) only when a call is made."""
    settings = get_settings()
    return WeChatClient(
        settings.wechat_api_base,
        _credentials_from_secret,
        timeout_s=settings.wechat_timeout_s,
        retries=settings.wechat_retries,
    )
