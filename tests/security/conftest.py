"""One moto cloud and one app per attacker module: each test uses users and objects of its own, so
they share the cloud's set-up without seeing each other's items. The app is the whole API
(`create_app(routers())`), served in process by FastAPI's TestClient, as the local cloud serves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conftest import MotoCloud, provisioned_moto
from tests.security.attacker import Attacker

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def security_cloud() -> Iterator[MotoCloud]:
    with provisioned_moto() as cloud:
        yield cloud


@pytest.fixture
def moto_cloud(security_cloud: MotoCloud) -> MotoCloud:
    return security_cloud


@pytest.fixture
def api(security_cloud: MotoCloud) -> Attacker:
    return Attacker(security_cloud)
