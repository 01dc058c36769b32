"""One moto cloud and one app per attacker module: each test uses users and objects of its own, so
they share the cloud's set-up without seeing each other's items. The app is the whole API
(`create_app(routers())`), served in process by FastAPI's TestClient, as the local cloud serves it."""

from __future__ import annotations

import pytest

from tests.conftest import MotoCloud
from tests.security.attacker import Attacker


@pytest.fixture
def moto_cloud(module_moto_cloud: MotoCloud) -> MotoCloud:
    return module_moto_cloud


@pytest.fixture
def api(moto_cloud: MotoCloud) -> Attacker:
    return Attacker(moto_cloud)
