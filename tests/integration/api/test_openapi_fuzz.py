"""The API fuzzed from its own OpenAPI document (schemathesis): every operation, in process, on moto.

Each operation gets a few seeded examples, valid and invalid, sent through the ASGI app with a user's
token (an admin's on `/v1/admin`). Every answer must be documented: no 5xx, a documented status, its
content type, its schema (problem+json for errors). Bounded so the module stays well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from earnloop.contexts import routers
from earnloop.platform.app import create_app
from earnloop.platform.settings import get_settings
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import provisioned_moto
from tests.fakes.wechat_server import FakeWeChat

APP = create_app(routers())
# The document the app serves at /openapi.json (the one `make openapi` commits).
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
SCHEMA.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=6, deterministic=True
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def tokens() -> Iterator[dict[str, str]]:
    """One moto cloud and one fake WeChat for the module (a cloud per operation would be most of the
    module's time); a user's token and an admin's."""
    with provisioned_moto() as moto, pytest.MonkeyPatch.context() as env:
        values = moto.secret_values
        secret = values["wechat"]
        wechat = FakeWeChat(secret["app_id"], secret["app_secret"]).start()
        env.setenv("EARNLOOP_WECHAT_API_BASE", wechat.base_url)
        env.setenv("EARNLOOP_WECHAT_TIMEOUT_S", "0.3")
        env.setenv("EARNLOOP_WECHAT_RETRIES", "1")
        get_settings.cache_clear()
        try:
            yield {"user": moto.token("u-fuzz"), "admin": moto.token("u-fuzz-admin", "admin")}
        finally:
            wechat.stop()


@SCHEMA.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, tokens) -> None:
    token = tokens["admin" if case.path.startswith("/v1/admin") else "user"]
    headers = {"Authorization": f"Bearer {token}"}
    if case.headers:
        headers = {**headers, **case.headers}
    case.call_and_validate(headers=headers, checks=CHECKS)
