"""The local cloud `make dev` starts (DynamoDB Local + moto server + pumps), once for the e2e tests.

It lives for this package only (torn down after its last test), because it points the process's
boto3 at the emulators; the moto-backed tests elsewhere need the environment back as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from earnloop.local.cloud import LocalCloud
from fastapi.testclient import TestClient

from tests.e2e.harness import Batch, Buyers, User, create_batch

if TYPE_CHECKING:
    from collections.abc import Iterator

# Low enough that the rate limit is reached in a test, high enough for every other test's scans.
SCANS_PER_HOUR = 5


@pytest.fixture(scope="package")
def cloud() -> Iterator[LocalCloud]:
    # "auto": DynamoDB Local when Java and the jars are there (`make test` fetches them), otherwise
    # moto with a RuntimeWarning that pytest reports.
    with LocalCloud(environment={"EARNLOOP_SCANS_PER_HOUR": str(SCANS_PER_HOUR)}) as running:
        yield running


@pytest.fixture(scope="package")
def api(cloud: LocalCloud) -> Iterator[TestClient]:
    from earnloop.contexts import routers
    from earnloop.platform.app import create_app

    # A 500 is asserted as the client sees it (problem+json), not re-raised into the test.
    with TestClient(create_app(routers()), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="package")
def buyers(api: TestClient) -> Buyers:
    return Buyers(api)


@pytest.fixture(scope="package")
def admin(buyers: Buyers) -> User:
    return buyers.login("admin")


@pytest.fixture
def batch(api: TestClient, admin: User) -> Batch:
    return create_batch(api, admin)


@pytest.fixture(autouse=True)
def settled(cloud: LocalCloud) -> Iterator[None]:
    """Each test starts and ends with nothing in flight, and no stream batch given up on."""
    cloud.pump_until_idle(redeliver_failures=True)
    yield
    cloud.pump_until_idle(redeliver_failures=True)
    assert cloud.stream.failures == []
