"""One moto cloud per sharing test module: the tests of a module use users and shares of their own,
so they share the cloud's set-up (about a second each on a loaded machine) without seeing each
other's items."""

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
from tests.integration.sharing.sharing_harness import Sharing

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def sharing_cloud() -> Iterator[MotoCloud]:
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
def moto_cloud(sharing_cloud: MotoCloud) -> MotoCloud:
    return sharing_cloud


@pytest.fixture
def sharing(sharing_cloud: MotoCloud) -> Sharing:
    return Sharing(sharing_cloud)
