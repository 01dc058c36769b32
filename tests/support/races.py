"""What the race tests share: one DynamoDB Local for the whole session (a JVM costs seconds to start;
each test makes its own table), a client that shows every lost race, and a fresh table of a context."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from earnloop.local.provision import table_request

if TYPE_CHECKING:
    from earnloop.platform.resources import Table
    from mypy_boto3_dynamodb import DynamoDBClient


def race_client(endpoint: str, connections: int = 32) -> DynamoDBClient:
    # One pool connection per thread, and no SDK retries: every lost race is ours to see.
    config = Config(max_pool_connections=connections, retries={"mode": "standard", "max_attempts": 1})
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-east-1", config=config)  # type: ignore[no-any-return]


def fresh_table(ddb: DynamoDBClient, definition: Table | None) -> str:
    """A new, empty table shaped as `definition`, under a name no other test uses."""
    assert definition is not None
    name = f"{definition.name}-{uuid.uuid4().hex[:12]}"
    ddb.create_table(**table_request(definition, name))
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return name
