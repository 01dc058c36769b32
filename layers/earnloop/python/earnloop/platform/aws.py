"""boto3 clients, created once per container and lazily, so a cold start pays only for what it uses.

Endpoints come from botocore's own environment variables (`AWS_ENDPOINT_URL`,
`AWS_ENDPOINT_URL_DYNAMODB`, ...), which is how the local cloud points everything at its emulators.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def client(service: str) -> Any:
    session = boto3.session.Session()
    return session.client(service, region_name=get_settings().region, config=_CONFIG)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")  # type: ignore[no-any-return]


def reset_clients() -> None:
    """Forgets every client (tests switch between moto and the local cloud)."""
    client.cache_clear()
