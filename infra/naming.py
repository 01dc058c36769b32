"""How definitions from `earnloop.platform` become construct ids and physical names.

Names line up end to end (STYLE.md): function `scans_create` -> construct `ScansCreate` ->
physical `earnloop-<stage>-scans_create`.
"""

from __future__ import annotations

import re

_STAGE = re.compile(r"^[a-z][a-z0-9-]{1,15}$")


def construct_id(name: str) -> str:
    """`scans_create` / `qr-keys` -> `ScansCreate` / `QrKeys`."""
    return "".join(part.capitalize() for part in re.split(r"[_\-]", name) if part)


def physical(stage: str, name: str) -> str:
    """The deployed name of a table, queue, bus or function: `earnloop-<stage>-<name>`."""
    return f"earnloop-{stage}-{name}"


def secret_name(stage: str, name: str) -> str:
    """Secrets Manager name, the shape the local settings use: `earnloop/<stage>/qr-keys`."""
    return f"earnloop/{stage}/{name.replace('_', '-')}"


def check_stage(stage: str) -> str:
    """A stage name safe in every resource name; `local` is refused.

    `local` switches the library to development behaviour (the WeChat development login), which
    must never be reachable in AWS.
    """
    if stage == "local":
        raise ValueError("stage 'local' is the local cloud's and cannot be deployed")
    if not _STAGE.match(stage):
        raise ValueError(f"stage {stage!r} must match {_STAGE.pattern}")
    return stage
