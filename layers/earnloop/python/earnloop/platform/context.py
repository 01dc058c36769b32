"""What a bounded context declares about itself, once, and the platform's own declaration.

A context (`earnloop/<context>/context.py`) names its table, its queues and the rules that feed them,
its secrets, its functions with their grants, and where its router and its table's meaning (`derive`)
live. `earnloop.contexts`, above every context, lists them; the CDK app, the local cloud, the stream
publisher and the tests read everything from that list. The router and the deriver are named by
import path, not imported, so listing the contexts loads no context's code: a deployed function
imports only its own context.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from earnloop.platform.catalog import EVERY_TABLE, FunctionSpec, bus, http, key
from earnloop.platform.resources import SESSION_KEY, Bucket, Queue, Rule, Secret, SigningKey, Table

if TYPE_CHECKING:
    from fastapi import APIRouter

    from earnloop.platform.events import Deriver


def load(path: str) -> Any:
    """The object at `package.module:attribute`."""
    module, _, attribute = path.partition(":")
    return getattr(import_module(module), attribute)


@dataclass(frozen=True)
class Context:
    name: str
    functions: tuple[FunctionSpec, ...] = ()
    # "earnloop.<context>.api:router": the routes of its HTTP functions (route name = function name).
    router: str | None = None
    # "earnloop.<context>.events:derive": what a change of its table means to the others.
    derive: str | None = None
    table: Table | None = None
    queues: tuple[Queue, ...] = ()
    rules: tuple[Rule, ...] = ()
    secrets: tuple[Secret, ...] = ()
    keys: tuple[SigningKey, ...] = ()
    buckets: tuple[Bucket, ...] = ()

    def __post_init__(self) -> None:
        if (self.table is None) != (self.derive is None):
            raise ValueError(f"context {self.name}: a table and its deriver go together")

    def load_router(self) -> APIRouter | None:
        return load(self.router) if self.router else None

    def load_deriver(self) -> Deriver | None:
        return load(self.derive) if self.derive else None


PLATFORM = Context(
    name="platform",
    router="earnloop.platform.api:router",
    functions=(
        http("health", description="Liveness, no auth"),
        http("jwks", key(SESSION_KEY.name), description="The session key's public halves (JWKS)"),
        http("not_found", default_route=True, description="Unknown paths and methods: problem+json"),
        FunctionSpec(
            "stream_publisher",
            "stream",
            (bus(),),
            description="Derives domain events from table streams and puts them on the bus",
            streams=EVERY_TABLE,
            timeout_s=60,
        ),
    ),
    keys=(SESSION_KEY,),
)
