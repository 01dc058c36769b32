"""Without Java or the jars, DynamoDB Local says plainly what is missing (the cloud then falls back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from earnloop.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalUnavailableError, find_lib

if TYPE_CHECKING:
    from pathlib import Path


def test_missing_jars_are_named_with_the_command_that_fetches_them(tmp_path: Path) -> None:
    with pytest.raises(DynamoDBLocalUnavailableError, match="make ddb-local"):
        find_lib(tmp_path)


def test_jars_without_the_sqlite_natives_are_not_enough(tmp_path: Path) -> None:
    (tmp_path / "DynamoDBLocal-3.1.0.jar").touch()
    with pytest.raises(DynamoDBLocalUnavailableError, match="sqlite4java"):
        find_lib(tmp_path)


def test_missing_java_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DynamoDBLocalUnavailableError, match="java is not on PATH"):
        DynamoDBLocal(tmp_path).start()


def test_stopping_what_never_started_is_harmless(tmp_path: Path) -> None:
    DynamoDBLocal(tmp_path).stop()
