"""How a Lambda function is declared, with what it may touch.

Each context declares its functions in its `context.py`; `earnloop.contexts` gathers them. The CDK
app builds one function and one least-privilege role per entry, `functions/<name>/handler.py` is its
entry point, and HTTP routes are matched to entries by the FastAPI route name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Access = Literal["read", "write", "readwrite"]
# For signing keys: `sign` (only the function that issues sessions) or `verify` (public half only).
KeyAccess = Literal["sign", "verify"]


@dataclass(frozen=True)
class Grant:
    """One permission: `table` (with its indexes), `bus` (put events), `secret` (read), `queue`
    (send), `key` (a signing key: sign with its current version, or read its public halves),
    `bucket` (objects under `prefixes`: read = GetObject, write = PutObject, delete = DeleteObject),
    or `moderation` (the stage's moderation provider: Rekognition when the stage chooses `aws`)."""

    kind: Literal["table", "bus", "secret", "queue", "key", "bucket", "moderation"]
    name: str
    access: Access | KeyAccess = "read"
    # For tables: the indexes the function queries (only those are granted), and whether it deletes.
    indexes: tuple[str, ...] = ()
    delete: bool = False
    # For buckets: the key prefixes granted ("uploads/", "media/"); never the whole bucket. For a
    # table read: only the partitions whose key begins with one (Query, by `dynamodb:LeadingKeys`).
    prefixes: tuple[str, ...] = ()


def table(
    name: str,
    access: Access = "read",
    *,
    indexes: tuple[str, ...] = (),
    delete: bool = False,
    partitions: tuple[str, ...] = (),
) -> Grant:
    """`partitions`: key prefixes that narrow a read to those partitions, such as the `AUDIT#`
    days of another context's table (Query only: a Scan is not held to a leading key)."""
    if delete and access == "read":
        raise ValueError(f"table {name}: a delete grant needs write access")
    if partitions and (access != "read" or indexes):
        raise ValueError(f"table {name}: only a read of the base table is narrowed to partitions")
    return Grant("table", name, access, indexes, delete, prefixes=partitions)


def bucket(name: str, access: Access = "read", *, prefixes: tuple[str, ...], delete: bool = False) -> Grant:
    """Objects of the bucket `name` under `prefixes`. A presigned URL carries its signer's rights,
    so signing an upload needs `write` and signing a download `read` on that prefix."""
    if not prefixes:
        raise ValueError(f"bucket {name}: a grant names the prefixes it covers")
    if delete and access == "read":
        raise ValueError(f"bucket {name}: a delete grant needs write access")
    return Grant("bucket", name, access, delete=delete, prefixes=prefixes)


def moderation() -> Grant:
    """Whatever the stage's moderation provider calls (the WeChat provider's token grants are
    declared beside it: later issues call WeChat whatever the provider)."""
    return Grant("moderation", "moderation")


def secret(name: str) -> Grant:
    return Grant("secret", name, "read")


def key(name: str, access: KeyAccess = "verify") -> Grant:
    return Grant("key", name, access)


def bus() -> Grant:
    return Grant("bus", "bus", "write")


# `streams` of the stream publisher: every context's table, resolved by `earnloop.contexts`.
EVERY_TABLE: tuple[str, ...] = ("*",)


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
    # For kind="http": serves API Gateway's `$default` route (every request no route matches)
    # instead of a route of its context's router.
    default_route: bool = False
    # Optional Lambda layers beyond the library and its dependencies, by name (`imaging`: Pillow,
    # pillow-heif, mutagen, PyAV for the media worker); a function without them starts without them.
    layers: tuple[str, ...] = ()
    # For kind="schedule": the IANA time zone its cron() is evaluated in, as EventBridge Scheduler
    # does (DST included; rate() ignores it). A daily business job says "Asia/Shanghai".
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"function {self.name}: {self.timezone!r} is not an IANA time zone") from error


def http(
    name: str, *grants: Grant, description: str = "", timeout_s: int = 10, default_route: bool = False
) -> FunctionSpec:
    return FunctionSpec(name, "http", grants, description, timeout_s=timeout_s, default_route=default_route)


def worker(
    name: str,
    queue: str,
    *grants: Grant,
    description: str = "",
    layers: tuple[str, ...] = (),
    timeout_s: int = 30,
    memory_mb: int = 512,
) -> FunctionSpec:
    return FunctionSpec(
        name,
        "queue",
        grants,
        description,
        queue=queue,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        layers=layers,
    )
