"""`earnloop invoke <function> --event <file>`: one function on a sample event, as `sam local invoke`.

Against the cloud `earnloop dev` is running (found through `.local/endpoints.json`), or, when none is,
against a throwaway in-process moto with every resource provisioned. Never against AWS: the process
gets fake credentials and local endpoints either way.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from earnloop.local import clock_file, lambdas, samples
from earnloop.local.cloud import (
    CLEARED,
    ENDPOINT_VARIABLES,
    Endpoints,
    ProcessEnvironment,
    reset_process_caches,
    runtime_environment,
)
from earnloop.local.samples import REPO_ROOT
from earnloop.platform.auth import Principal, issue_token
from earnloop.platform.clock import utcnow

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ENDPOINTS_FILE = REPO_ROOT / ".local" / "endpoints.json"


def write_endpoints(endpoints: Endpoints, path: Path | None = None) -> None:
    path = path or ENDPOINTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**endpoints.as_json(), "pid": os.getpid()}, indent=2) + "\n")


def remove_endpoints(path: Path | None = None) -> None:
    (path or ENDPOINTS_FILE).unlink(missing_ok=True)


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return False
    return True


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        # A dead port is refused at once; a live one whose accept queue is full under load (moto's
        # server listens with a backlog of 5 while the pumps hold connections) drops the SYN and
        # answers a retry seconds later: patience costs nothing when the answer is no.
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class CloudLookup:
    """What `.local/endpoints.json` says: the running cloud's endpoints, or why there is none."""

    endpoints: Endpoints | None
    reason: str


def look_for_cloud(path: Path | None = None) -> CloudLookup:
    """The running `earnloop dev`, if any. The process that wrote the file must still be alive,
    which answers at once whatever the load; the ports are asked too, in case a crash left its pid
    to be reused."""
    where = path or ENDPOINTS_FILE
    try:
        data = json.loads(where.read_text())
        endpoints = Endpoints(
            data["moto"], data["dynamodb"], data["dynamodb_backend"], data["region"], s3=data.get("s3")
        )
    except OSError:
        return CloudLookup(None, f"no {where.name} (no `make dev` has started)")
    except (ValueError, KeyError):
        return CloudLookup(None, f"{where.name} is not a running cloud's")
    if not _alive(data.get("pid")):
        return CloudLookup(None, f"the `make dev` that wrote {where.name} (pid {data.get('pid')}) has ended")
    for url in (endpoints.moto, endpoints.dynamodb):
        if not _answers(url):
            return CloudLookup(None, f"nothing answers at {url}, where {where.name} says the cloud is")
    return CloudLookup(endpoints, "running")


def running_cloud(path: Path | None = None) -> Endpoints | None:
    """The endpoints of a running `earnloop dev`, or None (no file, or a stale one left by a crash)."""
    return look_for_cloud(path).endpoints


@contextlib.contextmanager
def cloud_for_invoke(path: Path | None = None) -> Iterator[str]:
    """Points this process at the running local cloud or at a throwaway provisioned moto; yields
    a sentence saying which."""
    environment = ProcessEnvironment()
    endpoints = running_cloud(path)
    try:
        if endpoints is not None:
            # On the running cloud's time, moved or not (`earnloop clock`).
            environment.apply({**endpoints.environment(), **clock_file.environment()}, CLEARED)
            reset_process_caches()
            yield f"against the running local cloud (moto {endpoints.moto}, DynamoDB {endpoints.dynamodb})"
            return
        from moto import mock_aws

        from earnloop.local.provision import (
            create_buckets,
            create_keys,
            create_messaging,
            create_secrets,
            create_tables,
            local_secret_values,
        )
        from earnloop.platform.settings import get_settings

        region = os.environ.get("AWS_REGION") or "ap-east-1"
        environment.apply(runtime_environment(region), (*CLEARED, *ENDPOINT_VARIABLES))
        with mock_aws():
            reset_process_caches()
            settings = get_settings()
            create_tables(settings)
            values = local_secret_values()
            create_secrets(settings, values)
            create_keys(settings, values)
            create_buckets(settings)
            create_messaging(settings)
            yield "against a throwaway in-process moto (no `earnloop dev` running): nothing is kept"
    finally:
        environment.restore()
        reset_process_caches()


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Caller:
        """`<user id>` or `<user id>:admin`."""
        user_id, _, role = text.partition(":")
        if not user_id or role not in ("", "admin"):
            raise ValueError("--as takes <user id> or <user id>:admin")
        return cls(user_id, frozenset({role}) if role else frozenset())


def build_event(event_file: str, caller: Caller | None, params: dict[str, str]) -> dict[str, Any]:
    """The sample event, signed for `caller` and with its `{placeholders}` filled when it is an
    API Gateway event; any other event is delivered as written."""
    event = samples.load(event_file)
    if "requestContext" not in event or "http" not in event.get("requestContext", {}):
        return event
    token = None
    if caller is not None:
        token, _ = issue_token(Principal(user_id=caller.user_id, roles=caller.roles), utcnow())
    return samples.http_event(event_file, token=token, path_parameters=params or None)


def invoke(function: str, event_file: str, caller: Caller | None, params: dict[str, str]) -> tuple[Any, str]:
    """Runs the function; returns its result and where it ran."""
    lambdas.handler_path(function).resolve(strict=True)
    with cloud_for_invoke() as where:
        event = build_event(event_file, caller, params)
        region = os.environ.get("AWS_REGION") or "ap-east-1"
        return lambdas.invoke(function, event, region), where
