"""Shared fixtures. Tests never reach AWS or WeChat: credentials are fake and endpoints are cleared."""

from __future__ import annotations

import os

# Before anything imports boto3 or reads settings.
for _name in list(os.environ):
    if _name.startswith(("AWS_ENDPOINT_URL", "EARNLOOP_", "AWS_PROFILE")):
        del os.environ[_name]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "ap-east-1",
        "AWS_DEFAULT_REGION": "ap-east-1",
        "EARNLOOP_STAGE": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "earnloop",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }
)

from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from earnloop.platform import aws, secrets, sessions, signing  # noqa: E402
from earnloop.platform.auth import Principal, issue_token  # noqa: E402
from earnloop.platform.clock import utcnow  # noqa: E402
from earnloop.platform.settings import Settings, get_settings  # noqa: E402
from moto import mock_aws  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT.parent / "shared" / "testdata"


@dataclass
class MotoCloud:
    settings: Settings
    streams: dict[str, str]
    queues: dict[str, object]
    secret_values: dict[str, dict[str, str]]
    registered: set[str] = field(default_factory=set)

    def token(self, user_id: str, *roles: str, now: datetime | None = None, registered: bool = True) -> str:
        """A session token for `user_id`. Unless `registered=False`, the user exists too, with
        `roles`, as after a login: commands refuse a token whose user does not exist."""
        if registered:
            self.register(user_id, *roles)
        token, _ = issue_token(Principal(user_id=user_id, roles=frozenset(roles)), now or utcnow())
        return token

    def register(self, user_id: str, *roles: str) -> None:
        """Puts the user's profile item unless the user exists already (a login may have made it)."""
        if user_id in self.registered:
            return
        self.registered.add(user_id)
        from botocore.exceptions import ClientError
        from earnloop.identity.models import User
        from earnloop.identity.store import user_key
        from earnloop.platform.dynamo import is_condition_failure, marshal

        user = User(user_id=user_id, roles=sorted(roles), created_at="2026-11-23T00:00:00.000Z")
        item = {**user_key(user_id), "entity": "User", **user.model_dump()}
        try:
            aws.dynamodb().put_item(
                TableName=self.settings.table_name("identity"),
                Item=marshal(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def auth(self, user_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, *roles)}"}


@contextmanager
def provisioned_moto() -> Iterator[MotoCloud]:
    """Every table, secret, bucket, queue, bus and rule of the resource definitions, on moto.

    Per test as the `moto_cloud` fixture; a module whose tests use objects of their own may hold one
    for the module (its set-up is about a second on a loaded machine).
    """
    from earnloop.local.provision import (
        create_buckets,
        create_keys,
        create_messaging,
        create_secrets,
        create_tables,
        local_secret_values,
    )

    with mock_aws():
        forget_settings_and_secrets()
        settings = get_settings()
        values = local_secret_values()
        streams = create_tables(settings)
        create_secrets(settings, values)
        create_keys(settings, values)
        create_buckets(settings)
        queues = create_messaging(settings)
        yield MotoCloud(settings, streams, dict(queues), values)
    forget_settings_and_secrets()


@pytest.fixture
def moto_cloud() -> Iterator[MotoCloud]:
    with provisioned_moto() as cloud:
        yield cloud


@pytest.fixture(scope="module")
def module_moto_cloud() -> Iterator[MotoCloud]:
    """One cloud for a module whose tests use users and objects of their own: such a module (or a
    package's conftest) overrides `moto_cloud` to return this one."""
    with provisioned_moto() as cloud:
        yield cloud


def forget_settings_and_secrets() -> None:
    """Forgets settings and cached secrets; keeps the boto3 clients while they aim at AWS's endpoints.

    A kept client still sees a fresh cloud: moto intercepts every client made after it was imported and
    resets its backends when a mock ends. Making a client costs about 0.2 s of botocore model loading,
    which was most of this fixture's time and more of each test's. A client left aiming at an emulator
    (the local cloud's endpoints) is dropped, with all the others.
    """
    get_settings.cache_clear()
    secrets.reset_cache()
    # Earning rules are cached per container for a minute; each test's table is a new one.
    from earnloop.points.earning_rules import forget_cached_rules

    forget_cached_rules()
    # Each fresh cloud has its own session key under the same local alias.
    signing.forget_keys()
    # Each container's copy of the revoked sessions: a new table holds none.
    sessions.forget()
    if not all(aws.client(s).meta.endpoint_url.endswith(".amazonaws.com") for s in ("dynamodb", "sqs")):
        aws.reset_clients()


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """`limits(scans_per_hour=3, ...)` sets those settings (`EARNLOOP_<NAME>`) for one test, read
    again at once: a script then meets a risk limit in a few calls."""

    def tighten(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"EARNLOOP_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield tighten
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """The endpoint of one DynamoDB Local (in memory) for every race test of the session: moto's
    transactions are not thread-safe. Each test makes its own table (`tests.support.races`)."""
    from earnloop.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalUnavailableError

    emulator = DynamoDBLocal()
    try:
        emulator.start()
    except DynamoDBLocalUnavailableError as error:
        pytest.skip(f"DynamoDB Local unavailable: {error}")
    try:
        yield emulator.endpoint
    finally:
        emulator.stop()
