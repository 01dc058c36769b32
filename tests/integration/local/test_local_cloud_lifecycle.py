"""Starting and stopping the local cloud: the fallback when DynamoDB Local is missing, and the
process environment put back afterwards (moto alone, no JVM)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from earnloop.local.cloud import LocalCloud, LocalCloudError

if TYPE_CHECKING:
    from pathlib import Path


def test_the_process_environment_is_put_back_when_the_cloud_stops() -> None:
    before = dict(os.environ)
    with LocalCloud(dynamodb="moto"):
        assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert dict(os.environ) == before


def test_without_dynamodb_local_it_falls_back_to_moto_with_a_warning(tmp_path: Path) -> None:
    fallback = pytest.warns(RuntimeWarning, match="falling back to moto")
    with fallback, LocalCloud(dynamodb_lib=tmp_path) as cloud:
        assert cloud.endpoints is not None and cloud.endpoints.dynamodb_backend == "moto"
        assert cloud.fallback_reason and "make ddb-local" in cloud.fallback_reason


def test_requiring_dynamodb_local_without_it_fails_instead_of_falling_back(tmp_path: Path) -> None:
    before = dict(os.environ)
    with pytest.raises(LocalCloudError, match="required"):
        LocalCloud(dynamodb="dynamodb-local", dynamodb_lib=tmp_path).start()
    assert dict(os.environ) == before
