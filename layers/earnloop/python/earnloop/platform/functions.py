"""The platform's own functions."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, bus, http

FUNCTIONS: tuple[FunctionSpec, ...] = (
    http("health", description="Liveness, no auth"),
    FunctionSpec(
        "stream_publisher",
        "stream",
        (bus(),),
        description="Derives domain events from table streams and puts them on the bus",
        streams=("identity", "points", "codes"),
        timeout_s=60,
    ),
)
