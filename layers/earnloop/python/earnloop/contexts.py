"""The composition root: every bounded context earnloop runs, and what follows from the list.

Adding a context is writing its package (with its `context.py`) and adding one line to `CONTEXTS`.
The platform imports no context; this module is the only place that knows them all. Listing them
imports only their declarations (`context.py`, plain data): routers and derivers are loaded when
asked for, so a deployed function that imports its own router loads nothing of the others.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from earnloop.codes.context import CONTEXT as CODES
from earnloop.content.context import CONTEXT as CONTENT
from earnloop.identity.context import CONTEXT as IDENTITY
from earnloop.mall.context import CONTEXT as MALL
from earnloop.platform.catalog import EVERY_TABLE, FunctionSpec
from earnloop.platform.context import PLATFORM, Context
from earnloop.points.context import CONTEXT as POINTS
from earnloop.sharing.context import CONTEXT as SHARING
from earnloop.stats.context import CONTEXT as STATS
from earnloop.wechat.context import CONTEXT as WECHAT

if TYPE_CHECKING:
    from fastapi import APIRouter

    from earnloop.platform.events import Deriver
    from earnloop.platform.resources import Bucket, Queue, Rule, Secret, SigningKey, Table

CONTEXTS: tuple[Context, ...] = (PLATFORM, IDENTITY, POINTS, CODES, CONTENT, MALL, WECHAT, STATS, SHARING)


def tables() -> tuple[Table, ...]:
    return tuple(c.table for c in CONTEXTS if c.table is not None)


def queues() -> tuple[Queue, ...]:
    return tuple(q for c in CONTEXTS for q in c.queues)


def rules() -> tuple[Rule, ...]:
    return tuple(r for c in CONTEXTS for r in c.rules)


def secrets() -> tuple[Secret, ...]:
    return tuple(s for c in CONTEXTS for s in c.secrets)


def signing_keys() -> tuple[SigningKey, ...]:
    return tuple(k for c in CONTEXTS for k in c.keys)


def buckets() -> tuple[Bucket, ...]:
    return tuple(b for c in CONTEXTS for b in c.buckets)


def bucket(name: str) -> Bucket:
    for candidate in buckets():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


@cache
def all_functions() -> tuple[FunctionSpec, ...]:
    """Every function of every context; a stream consumer of `EVERY_TABLE` gets each table's name."""
    every = tuple(t.name for t in tables())
    return tuple(
        replace(spec, streams=every) if spec.streams == EVERY_TABLE else spec
        for c in CONTEXTS
        for spec in c.functions
    )


def function(name: str) -> FunctionSpec:
    for spec in all_functions():
        if spec.name == name:
            return spec
    raise KeyError(name)


def table(name: str) -> Table:
    for candidate in tables():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def queue(name: str) -> Queue:
    for candidate in queues():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def routers() -> list[APIRouter]:
    """Every context's router (this imports every context's API: the local cloud and docs only)."""
    return [router for c in CONTEXTS if (router := c.load_router()) is not None]


def derivers() -> dict[str, Deriver]:
    """Each table's meaning, by logical table name: what the stream publisher is built with."""
    return {
        c.table.name: deriver
        for c in CONTEXTS
        if c.table is not None and (deriver := c.load_deriver()) is not None
    }
