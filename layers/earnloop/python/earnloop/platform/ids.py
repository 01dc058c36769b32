"""Identifiers: ULIDs, sortable by creation time."""

from __future__ import annotations

import ulid
from ulid import ULID

from earnloop.platform.snapshot import on_restore


def new_id() -> str:
    return str(ULID())


@on_restore
def _new_generator() -> None:
    # python-ulid's generator keeps the last id's time and randomness to stay monotonic within a
    # millisecond; a restored copy starts its own sequence (fresh randomness from the kernel).
    ulid.default_generator = ulid.ULIDGenerator()
