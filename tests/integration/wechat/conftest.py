"""WeChat integration fixtures: the fake WeChat on loopback (knowing the provisioned app id and
secret), a clock the test moves, the in-memory tokens forgotten between tests."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.platform.settings import get_settings
from earnloop.wechat.token import forget_tokens

from tests.fakes.wechat_server import FakeWeChat

if TYPE_CHECKING:
    from collections.abc import Iterator


class FakeClock:
    """Epoch seconds that move only when the test says (shared by the fake WeChat and the cache)."""

    def __init__(self, start: float = 1_795_424_400.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class AtomicRequests:
    """The DynamoDB client with one request at a time: moto applies a request without a lock, where
    DynamoDB makes each atomic. The races that matter here, between requests, stay open."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def wechat(moto_cloud: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChat]:
    """A fake WeChat on the real clock, known to the settings (short timeouts, one retry)."""
    secret = moto_cloud.secret_values["wechat"]
    with FakeWeChat(secret["app_id"], secret["app_secret"]) as server:
        monkeypatch.setenv("EARNLOOP_WECHAT_API_BASE", server.base_url)
        monkeypatch.setenv("EARNLOOP_WECHAT_TIMEOUT_S", "0.5")
        monkeypatch.setenv("EARNLOOP_WECHAT_RETRIES", "1")
        get_settings.cache_clear()
        forget_tokens()
        yield server
    forget_tokens()
    get_settings.cache_clear()
