"""The access token every WeChat server-API call needs, shared by every function of the app.

Protocol (getStableAccessToken, https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html):
`POST {base}/cgi-bin/stable_token` `{grant_type: "client_credential", appid, secret, force_refresh}`
answers `{access_token, expires_in}` (7,200 s) or `{errcode, errmsg}`. In normal mode a call while the
token is valid returns the same token (a new one only in its last minutes, the old one still valid
until it ends); `force_refresh: true` invalidates the old one and is limited to a few dozen a day.

How it is shared: the token lives in the `wechat` table with its validity; each container keeps it in
memory too. When it is due (`refresh_after`, five minutes before it ends), ONE caller refreshes it: it
takes a lease on the item with a condition (no live lease, and the token is still the one it read),
fetches, stores and drops the lease. The others keep using the still-valid token, or, when there is
none, wait briefly and read again. A token WeChat refuses (40001/42001/40014) is renewed once with
`force_refresh`, by one caller, and only if the stored token still is the refused one. So the app
fetches about twelve times a day however many functions run (a test counts them).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from earnloop.platform import aws
from earnloop.platform.errors import WeChatUnavailableError
from earnloop.platform.observability import logger, metrics
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings
from earnloop.platform.snapshot import on_restore
from earnloop.platform.wechat import errmsg
from earnloop.wechat.calls import WeChatApi, default_api, errcode
from earnloop.wechat.store import StoredToken, TokenStore

if TYPE_CHECKING:
    from collections.abc import Callable

STABLE_TOKEN_PATH = "/cgi-bin/stable_token"
# What WeChat answers any API called with a token it no longer accepts: invalid, expired, not latest.
TOKEN_REJECTED = frozenset({40001, 42001, 40014})
# Refresh this long before the token ends: the normal mode's new token appears in its last 5 minutes.
REFRESH_MARGIN_S = 300
# Never refresh more often than this, even if WeChat hands back a token already inside the margin.
MIN_REFRESH_INTERVAL_S = 60
# Stop using a token this long before WeChat says it ends (clock skew, the call's own duration).
SAFETY_S = 30
LEASE_S = 10
WAIT_S = 3.0
POLL_S = 0.05


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    app_secret: str = field(repr=False)


def app_credentials() -> AppCredentials:
    """The AppID and AppSecret from the `wechat` secret (the one login uses: one source of truth).

    Raises:
        WeChatUnavailableError: the secret has no value yet, or lacks either field.
    """
    try:
        value = secret_json(get_settings().secret_id("wechat"))
    except GetParameterError:
        logger.error("wechat secret has no value yet")
        raise WeChatUnavailableError("WeChat is not configured") from None
    app_id, app_secret = value.get("app_id"), value.get("app_secret")
    if not isinstance(app_id, str) or not isinstance(app_secret, str) or not app_id or not app_secret:
        logger.error("wechat secret lacks app_id or app_secret")
        raise WeChatUnavailableError("WeChat is not configured")
    return AppCredentials(app_id, app_secret)


@dataclass(frozen=True)
class FetchedToken:
    token: str
    expires_in: int


def fetch_stable_token(api: WeChatApi, credentials: AppCredentials, *, force: bool) -> FetchedToken:
    """One call of the stable-token endpoint.

    Raises:
        WeChatUnavailableError: WeChat refused (bad AppID or secret, IP not whitelisted, quota) or
            failed; an error is logged for the operator.
    """
    payload = api.post(
        STABLE_TOKEN_PATH,
        {
            "grant_type": "client_credential",
            "appid": credentials.app_id,
            "secret": credentials.app_secret,
            "force_refresh": force,
        },
    )
    token, expires_in = payload.get("access_token"), payload.get("expires_in")
    if errcode(payload) != 0 or not isinstance(token, str) or not token or not isinstance(expires_in, int):
        logger.error(
            "wechat refused the access token request",
            extra={"errcode": errcode(payload), "errmsg": errmsg(payload), "force": force},
        )
        raise WeChatUnavailableError("WeChat refused the access token request")
    logger.info("wechat access token fetched", extra={"expires_in": expires_in, "force": force})
    # An operator checks this stays a handful a day (a storm would exhaust WeChat's daily quota).
    metrics.add_metric(name="WeChatTokenFetches", unit="Count", value=1)
    return FetchedToken(token, expires_in)


class AccessTokens:
    """The token of one app, shared through its table item. Thread-safe."""

    def __init__(
        self,
        store: TokenStore,
        fetch: Callable[[bool], FetchedToken],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        wait_s: float = WAIT_S,
    ) -> None:
        self._store = store
        self._fetch = fetch
        self._clock = clock
        self._sleep = sleep
        self._wait_s = wait_s
        self._memory: StoredToken | None = None
        # One thread per container goes to the table; the others wait for its answer.
        self._lock = threading.Lock()
        self._holder = uuid.uuid4().hex

    def get(self) -> str:
        """A token WeChat accepts now.

        Raises:
            WeChatUnavailableError: no token could be had (WeChat refused or failed, or another
                caller's refresh did not finish within a few seconds while no valid token existed).
        """
        memory = self._memory
        if memory is not None and self._clock() < memory.refresh_after:
            return memory.token
        with self._lock:
            now = self._clock()
            if self._memory is not None and now < self._memory.refresh_after:
                return self._memory.token
            stored = self._store.read()
            if stored is not None and now < stored.refresh_after:
                self._memory = stored
                return stored.token
            return self._refresh(stored, force=False, rejected=None)

    def renew(self, rejected: str) -> str:
        """A token other than `rejected`, which WeChat just refused (40001/42001/40014)."""
        with self._lock:
            if self._memory is not None and self._memory.token == rejected:
                self._memory = None
            stored = self._store.read()
            if stored is not None and stored.token != rejected and self._usable(stored):
                self._memory = stored
                return stored.token
            return self._refresh(stored, force=True, rejected=rejected)

    def _refresh(self, stored: StoredToken | None, *, force: bool, rejected: str | None) -> str:
        # Bounded by polls, not by the token clock: waiting must end even if that clock stands still.
        polls = max(1, int(self._wait_s / POLL_S))
        while True:
            now = self._clock()
            if self._store.take_lease(self._holder, now, LEASE_S, stored):
                return self._fetch_and_store(now, force=force)
            # Another caller refreshes. A token that still works is good meanwhile (not cached, so
            # the next call looks for the new one); otherwise wait for the refresher's write.
            if stored is not None and stored.token != rejected and self._usable(stored):
                return stored.token
            polls -= 1
            if polls < 0:
                logger.error("wechat access token refresh by another caller did not finish")
                raise WeChatUnavailableError("WeChat access token unavailable, please retry")
            self._sleep(POLL_S)
            stored = self._store.read()
            if stored is not None and stored.token != rejected and self._clock() < stored.refresh_after:
                self._memory = stored
                return stored.token

    def _fetch_and_store(self, now: float, *, force: bool) -> str:
        fetched = self._fetch(force)
        refresh_in = max(
            fetched.expires_in - REFRESH_MARGIN_S, min(MIN_REFRESH_INTERVAL_S, fetched.expires_in // 2)
        )
        token = StoredToken(fetched.token, now + fetched.expires_in, now + refresh_in)
        if not self._store.save(self._holder, token, now):
            logger.warning("wechat access token lease lost while fetching")
        self._memory = token
        return token.token

    def _usable(self, token: StoredToken) -> bool:
        return self._clock() < token.valid_until - SAFETY_S


_tokens: dict[tuple[str, str, str], AccessTokens] = {}
_tokens_lock = threading.Lock()


def _shared() -> AccessTokens:
    settings = get_settings()
    credentials = app_credentials()
    api = default_api()
    key = (settings.table_name("wechat"), credentials.app_id, settings.wechat_api_base)
    with _tokens_lock:
        tokens = _tokens.get(key)
        if tokens is None:
            store = TokenStore(aws.dynamodb(), key[0], credentials.app_id)
            tokens = _tokens[key] = AccessTokens(
                store, lambda force: fetch_stable_token(api, app_credentials(), force=force)
            )
        return tokens


def access_token() -> str:
    """The app's access token (grants: `earnloop.wechat.context.TOKEN_GRANTS`).

    Raises:
        WeChatUnavailableError: see `AccessTokens.get`.
    """
    return _shared().get()


def call_with_token(call: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """`call(token)`'s answer; if WeChat refused the token, once more with a renewed one."""
    tokens = _shared()
    token = tokens.get()
    payload = call(token)
    if errcode(payload) in TOKEN_REJECTED:
        logger.warning("wechat refused the access token, renewing", extra={"errcode": errcode(payload)})
        payload = call(tokens.renew(token))
    return payload


@on_restore
def forget_tokens() -> None:
    """Drops the in-memory tokens (a restored snapshot, a test switching clouds); the table keeps them."""
    with _tokens_lock:
        _tokens.clear()
