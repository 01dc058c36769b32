"""`earnloop schedule run <function>`: fires one schedule function now, against the running `make
dev`, with the Scheduled Event its schedule would deliver at the local clock's time (moved or not).

It runs in this process on the running cloud's tables, queues and bus, as `earnloop invoke` does;
what it sends on is delivered by `make dev`'s pumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from earnloop.contexts import all_functions
from earnloop.local import clock_file, lambdas, shapes
from earnloop.local.cloud import CLEARED, ProcessEnvironment, reset_process_caches
from earnloop.local.invoke import running_cloud
from earnloop.platform.clock import utcnow

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path


class ScheduleRunError(RuntimeError):
    """Not a schedule function, or no `make dev` to run it against."""


@dataclass(frozen=True)
class ScheduleRun:
    function: str
    time: datetime
    event: dict[str, Any]
    result: Any


def schedule_functions() -> list[str]:
    return sorted(spec.name for spec in all_functions() if spec.kind == "schedule")


def run_now(function: str, endpoints_file: Path | None = None, clock: Path | None = None) -> ScheduleRun:
    """Invokes `function` as its schedule would now.

    Raises:
        ScheduleRunError: `function` is not a schedule function, or no `make dev` is running.
    """
    names = schedule_functions()
    if function not in names:
        raise ScheduleRunError(f"{function!r} is not a schedule function (they are: {', '.join(names)})")
    endpoints = running_cloud(endpoints_file)
    if endpoints is None:
        raise ScheduleRunError("no `make dev` is running (nothing at .local/endpoints.json answers)")
    environment = ProcessEnvironment()
    environment.apply({**endpoints.environment(), **clock_file.environment(clock)}, CLEARED)
    reset_process_caches()
    try:
        moment = utcnow().replace(microsecond=0)
        event = shapes.scheduled_event(f"earnloop-local-{function}", moment, endpoints.region)
        return ScheduleRun(function, moment, event, lambdas.invoke(function, event, endpoints.region))
    finally:
        environment.restore()
        reset_process_caches()
