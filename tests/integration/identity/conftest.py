"""Identity integration fixtures: handlers called on their sample events, WeChat faked on loopback."""

from __future__ import annotations

import base64
import importlib
import json
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.local.samples import http_event
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


Response = dict[str, Any]


@pytest.fixture
def invoke(moto_cloud: Any, lambda_context: Any) -> Callable[..., Response]:
    """Calls `functions/<name>/handler.py` on `events/apigw/<name>.json`; the body comes back parsed."""

    def call(name: str, **event: Any) -> Response:
        handler = importlib.import_module(f"functions.{name}.handler").lambda_handler
        response: Response = handler(http_event(f"apigw/{name}.json", **event), lambda_context)
        body = response.get("body") or ""
        if response.get("isBase64Encoded"):
            # Mangum base64-encodes media types it does not know as text (application/problem+json).
            body = base64.b64decode(body).decode()
        response["body"] = body
        response["json"] = json.loads(body) if body else None
        return response

    return call
