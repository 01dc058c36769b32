"""Reads of the identity table shared by the identity integration tests."""

from __future__ import annotations

from typing import Any

from earnloop.platform.settings import get_settings

from tests.support import lambdas


def stored(pk: str, sk: str) -> dict[str, Any] | None:
    return lambdas.stored(get_settings().table_name("identity"), {"pk": pk, "sk": sk})


def all_items() -> list[dict[str, Any]]:
    return lambdas.all_items(get_settings().table_name("identity"))
