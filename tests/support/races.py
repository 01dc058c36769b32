"""What the race tests share: one DynamoDB Local for the whole session (a JVM costs seconds to start;
each test makes its own table), a client that shows every lost race, a fresh table of a context,
and jobs run together."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from earnloop.local.provision import table_request

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

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


def run_together(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Runs every job in its own thread, released at once by a barrier; their results in order.
    Any job's error fails the caller's test."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results
