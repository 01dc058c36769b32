"""One moto cloud and one app per attacker module: each test uses users and objects of its own, so
they share the cloud's set-up without seeing each other's items. The app is the whole API
(`create_app(routers())`), served in process by FastAPI's TestClient, as the local cloud serves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from earnloop.local.provision import (
    create_buckets,
    create_keys,
    create_messaging,
    create_secrets,
    create_tables,
    local_secret_values,
)
from earnloop.platform.settings import get_settings
from moto import mock_aws

from tests.conftest import MotoCloud, forget_settings_and_secrets
from tests.security.attacker import Attacker

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def security_cloud() -> Iterator[MotoCloud]:
    with mock_aws():
        forget_settings_and_secrets()
        settings = get_settings()
        values = local_secret_values()
        streams = create_tables(settings)
        create_secrets(settings, values)
        create_keys(settings, values)
        create_buckets(settings)
        queues = create_messaging(settings)
        yield MotoCloud(settings, streams, dict(queues), values)
    forget_settings_and_secrets()


@pytest.fixture
def moto_cloud(security_cloud: MotoCloud) -> MotoCloud:
    return security_cloud


@pytest.fixture
def api(security_cloud: MotoCloud) -> Attacker:
    return Attacker(security_cloud)
