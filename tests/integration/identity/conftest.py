"""Identity integration fixtures: WeChat faked on loopback, the stage switched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from earnloop.platform.settings import get_settings

from tests.fakes.wechat_server import FakeWeChat

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture
def wechat(moto_cloud: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChat]:
    """A fake WeChat that knows the app id and secret provisioned in Secrets Manager."""
    secret = moto_cloud.secret_values["wechat"]
    with FakeWeChat(secret["app_id"], secret["app_secret"]) as server:
        monkeypatch.setenv("EARNLOOP_WECHAT_API_BASE", server.base_url)
        monkeypatch.setenv("EARNLOOP_WECHAT_TIMEOUT_S", "0.3")
        monkeypatch.setenv("EARNLOOP_WECHAT_RETRIES", "1")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


@pytest.fixture
def set_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def set_to(stage: str) -> None:
        monkeypatch.setenv("EARNLOOP_STAGE", stage)
        get_settings.cache_clear()

    yield set_to
    get_settings.cache_clear()
