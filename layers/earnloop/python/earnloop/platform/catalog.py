"""Every Lambda function earnloop deploys, with what it may touch.

Each context declares its functions in `<context>/functions.py`; this module gathers them. The CDK
app builds one function and one least-privilege role per entry, `functions/<name>/handler.py` is its
entry point, and HTTP routes are matched to entries by the FastAPI route name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["read", "write", "readwrite"]


@dataclass(frozen=True)
class Grant:
    """One permission: `table` (with its indexes), `bus` (put events), `secret` (read) or `queue`."""

    kind: Literal["table", "bus", "secret", "queue"]
    name: str
    access: Access = "read"


def table(name: str, access: Access = "read") -> Grant:
    return Grant("table", name, access)


def secret(name: str) -> Grant:
    return Grant("secret", name, "read")


def bus() -> Grant:
    return Grant("bus", "bus", "write")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    kind: Literal["http", "queue", "stream", "schedule"]
    grants: tuple[Grant, ...] = ()
    description: str = ""
    queue: str | None = None
    # For kind="stream": the tables whose streams it consumes.
    streams: tuple[str, ...] = ()
    # For kind="schedule": an EventBridge schedule expression.
    schedule: str | None = None
    timeout_s: int = 10
    memory_mb: int = 512


def http(name: str, *grants: Grant, description: str = "", timeout_s: int = 10) -> FunctionSpec:
    return FunctionSpec(name, "http", grants, description, timeout_s=timeout_s)


def worker(name: str, queue: str, *grants: Grant, description: str = "") -> FunctionSpec:
    return FunctionSpec(name, "queue", grants, description, queue=queue, timeout_s=30)


def all_functions() -> tuple[FunctionSpec, ...]:
    from earnloop.codes.functions import FUNCTIONS as codes
    from earnloop.identity.functions import FUNCTIONS as identity
    from earnloop.platform.functions import FUNCTIONS as platform
    from earnloop.points.functions import FUNCTIONS as points

    return (*platform, *identity, *points, *codes)


def function(name: str) -> FunctionSpec:
    for spec in all_functions():
        if spec.name == name:
            return spec
    raise KeyError(name)
