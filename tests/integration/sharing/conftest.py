"""One moto cloud per sharing test module: the tests of a module use users and shares of their own,
so they share the cloud's set-up (about a second each on a loaded machine) without seeing each
other's items."""

from __future__ import annotations

import pytest

from tests.conftest import MotoCloud
from tests.integration.sharing.sharing_harness import Sharing


@pytest.fixture
def moto_cloud(module_moto_cloud: MotoCloud) -> MotoCloud:
    return module_moto_cloud


@pytest.fixture
def sharing(moto_cloud: MotoCloud) -> Sharing:
    return Sharing(moto_cloud)
