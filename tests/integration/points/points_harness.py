"""What only the points tests need on top of `tests.support.lambdas`."""

from __future__ import annotations

from typing import Any

from tests.support.lambdas import HttpAnswer, call_http

EARN_SAMPLE = "sqs/points_earn.json"


def admin_call(name: str, token: str | None, user_id: str = "u1", body: Any = None) -> HttpAnswer:
    """An admin users route (`admin_users_freeze`/`_unfreeze`) on its sample, for `user_id`."""
    return call_http(name, token=token, body=body, path_parameters={"user_id": user_id})
