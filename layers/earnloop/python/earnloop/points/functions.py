"""Functions of the points context."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, http, secret, table, worker

FUNCTIONS: tuple[FunctionSpec, ...] = (
    http("points_get", table("points"), secret("session"), description="The caller's balance"),
    http("points_history", table("points"), secret("session"), description="The caller's ledger"),
    http("admin_users_freeze", table("points", "readwrite"), secret("session"), description="Freezes"),
    http("admin_users_unfreeze", table("points", "readwrite"), secret("session"), description="Unfreezes"),
    worker("points_earn", "points", table("points", "readwrite"), description="Credits earned points"),
)
