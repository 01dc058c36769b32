"""Functions of the identity context."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, http, secret, table, worker

FUNCTIONS: tuple[FunctionSpec, ...] = (
    http(
        "auth_login",
        table("identity", "readwrite"),
        secret("session"),
        secret("wechat"),
        description="Exchanges a wx.login code for a session",
        timeout_s=15,
    ),
    http("me_get", table("identity"), table("points"), secret("session"), description="The caller's profile"),
    http("me_update", table("identity", "readwrite"), secret("session"), description="Edits the profile"),
    worker(
        "profile_tags", "tags", table("identity", "readwrite"), description="Adds product tags to profiles"
    ),
)
