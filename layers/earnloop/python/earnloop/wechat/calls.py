"""POSTing JSON to WeChat's server API: one pool per container, a timeout per attempt, retries on
WeChat's transient failures (errcode -1, HTTP 5xx, connection errors, timeouts).

What a non-zero `errcode` means is the caller's business (each API has its own codes); this module
only retries -1 and turns what never succeeded into `WeChatUnavailableError`. The access token and
the AppSecret travel in the query string or body: neither a URL nor an exception text that may
embed them is ever logged.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import urllib3

from earnloop.platform.errors import WeChatUnavailableError
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.platform.wechat import SYSTEM_BUSY, pool

if TYPE_CHECKING:
    from collections.abc import Callable


class _Transient(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _TokenRedactor(logging.Filter):
    """urllib3 logs each request line at DEBUG, query string included: blank the access token."""

    _PATTERN = re.compile(r"(access_token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = self._PATTERN.sub(r"\1***", message), None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_TokenRedactor())


class WeChatApi:
    """JSON POSTs to WeChat. Thread-safe; one per process is enough."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        retries: int,
        backoff_s: float = 0.1,
        http: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = urllib3.Timeout(total=timeout_s)
        self._attempts = 1 + max(0, retries)
        self._backoff_s = backoff_s
        self._http = http or pool()
        self._sleep = sleep

    def post(self, path: str, body: dict[str, Any], *, query: dict[str, str] | None = None) -> dict[str, Any]:
        """WeChat's JSON answer (errcode 0, absent, or an API-specific code other than -1).

        Raises:
            WeChatUnavailableError: every attempt failed transiently, or the answer was not JSON.
        """
        url = self._base_url + path
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        data = json.dumps(body, ensure_ascii=False).encode()
        reason = ""
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                return self._attempt(url, data)
            except _Transient as transient:
                reason = transient.reason
                logger.warning(
                    "wechat call failed, may retry",
                    extra={"path": path, "reason": reason, "attempt": attempt + 1},
                )
        logger.error("wechat unavailable", extra={"path": path, "reason": reason, "attempts": self._attempts})
        raise WeChatUnavailableError("WeChat did not answer, please retry")

    def _attempt(self, url: str, data: bytes) -> dict[str, Any]:
        try:
            response = self._http.request(
                "POST",
                url,
                body=data,
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
                retries=False,
            )
        except urllib3.exceptions.TimeoutError:
            raise _Transient("timeout") from None
        except urllib3.exceptions.HTTPError as error:
            # The text may carry the URL and its token: keep the class name, drop the cause.
            raise _Transient(type(error).__name__) from None
        if response.status >= 500:
            raise _Transient(f"http {response.status}")
        try:
            payload = json.loads(response.data) if response.status == 200 else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            logger.error("wechat answered something unexpected", extra={"status": response.status})
            raise WeChatUnavailableError("WeChat answered something unexpected")
        if payload.get("errcode") == SYSTEM_BUSY:
            raise _Transient("system busy")
        return payload


def errcode(payload: dict[str, Any]) -> int:
    value = payload.get("errcode") or 0
    return value if isinstance(value, int) else -1


def default_api() -> WeChatApi:
    """The API for the current settings (cheap: the pool is shared)."""
    settings = get_settings()
    return WeChatApi(
        settings.wechat_api_base, timeout_s=settings.wechat_timeout_s, retries=settings.wechat_retries
    )
