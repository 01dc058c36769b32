"""Fixtures of the mall's tests: one DynamoDB Local for every module here that races threads
(`stock_harness.start_dynamodb_local`); a JVM costs 4-6 s to start, once is enough."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.mall.stock_harness import start_dynamodb_local

if TYPE_CHECKING:
    from collections.abc import Iterator

    from earnloop.local.dynamodb_local import DynamoDBLocal


@pytest.fixture(scope="package")
def emulator() -> Iterator[DynamoDBLocal]:
    """DynamoDB Local, in memory; each test makes its own table (`stock_harness.mall_on`)."""
    yield from start_dynamodb_local()
