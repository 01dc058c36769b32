"""One moto cloud per sharing test module: the tests of a module use users and shares of their own,
so they share the cloud's set-up (about a second each on a loaded machine) without seeing each
other's items."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conftest import MotoCloud, provisioned_moto
from tests.integration.sharing.sharing_harness import Sharing

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def sharing_cloud() -> Iterator[MotoCloud]:
    with provisioned_moto() as cloud:
        yield cloud


@pytest.fixture
def moto_cloud(sharing_cloud: MotoCloud) -> MotoCloud:
    return sharing_cloud


@pytest.fixture
def sharing(sharing_cloud: MotoCloud) -> Sharing:
    return Sharing(sharing_cloud)
