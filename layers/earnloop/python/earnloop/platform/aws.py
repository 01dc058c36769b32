"""boto3 clients, created once per container and lazily, so a cold start pays only for what it uses.

Endpoints come from botocore's own environment variables (`AWS_ENDPOINT_URL`,
`AWS_ENDPOINT_URL_DYNAMODB`, ...), which is how the local cloud points everything at its emulators.

Nothing here runs at import: a client holds credentials and a connection pool, which a SnapStart
snapshot must not carry into many environments; a restored environment drops whatever it inherited
(`platform.snapshot`).
"""

from __future__ import annotations

from functools import cache
from threading import Lock
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from earnloop.platform.settings import get_settings
from earnloop.platform.snapshot import on_restore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
_SERVICE_CONFIG = {
    # Virtual-hosted, regional S3 URLs (`<bucket>.s3.<region>.amazonaws.com`): botocore otherwise
    # presigns on the legacy global host, which does not serve buckets of opt-in regions such as
    # Hong Kong. An IP endpoint (the local cloud) still gets path-style URLs.
    "s3": _CONFIG.merge(Config(s3={"addressing_style": "virtual"})),
}
# A session is not thread-safe while it makes clients (FastAPI runs sync dependencies in a pool).
_MAKING = Lock()


@cache
def _session() -> boto3.session.Session:
    # One session per container: its loader keeps the endpoint rules and partitions it parsed, so a
    # function's second client costs about a third of its first (bench/cold_start.py).
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    with _MAKING:
        config = _SERVICE_CONFIG.get(service, _CONFIG)
        return _session().client(service, region_name=get_settings().region, config=config)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")  # type: ignore[no-any-return]


@on_restore
def reset_clients() -> None:
    """Forgets every client and the session (tests switch between moto and the local cloud; a
    restored snapshot must not reuse the credentials and connections of the environment it came from)."""
    client.cache_clear()
    _session.cache_clear()
