"""API5:2023 Broken Function Level Authorization: every admin function refuses a user's token with
403 `forbidden` and changes nothing; the routes are derived from the app, so a new admin route is
attacked as soon as it is served. Admin functions live under `/v1/admin/` and nowhere else."""

from __future__ import annotations

import re

from earnloop.platform.auth import admin_user
from fastapi.routing import APIRoute

from tests.security.attacker import ROUTES, Attacker, problem_code

ADMIN_ROUTES = [route for route in ROUTES if route.path.startswith("/v1/admin/")]
# Plausible bodies, so a route that validated its body before the caller's role would show it.
BODIES = {
    "code_batches_create": {"sku": "S", "product_name": "P", "points": 10, "count": 1, "tags": []},
    "rewards_create": {"name": "Free", "kind": "virtual", "points": 1, "stock": 1000},
    "admin_users_adjust": {"delta": 100000, "reason": "gift"},
    "admin_earning_rules_put": {"points": 1000, "daily_cap": None, "enabled": True},
}


def guards_with_admin_user(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is admin_user:
            return True
        pending.extend(dependency.dependencies)
    return False


def test_every_admin_route_and_only_those_require_the_admin_role() -> None:
    assert len(ADMIN_ROUTES) >= 20
    assert {route.name for route in ROUTES if guards_with_admin_user(route)} == {r.name for r in ADMIN_ROUTES}


def test_every_admin_route_refuses_a_user_token(api: Attacker) -> None:
    token = api.cloud.token("u-api5-user")
    rules_before = api.call("GET", "/v1/admin/earning-rules", "u-api5-admin", "admin").json()
    answers = {}
    for route in ADMIN_ROUTES:
        path = re.sub(r"\{[^}]+\}", "u-api5-user", route.path).replace(
            "/earning-rules/u-api5-user", "/earning-rules/scan"
        )
        for method in route.methods - {"HEAD"}:
            answers[f"{method} {route.path}"] = api.call(
                method, path, token=token, json=BODIES.get(route.name)
            )

    wrong = {key: (a.status_code, a.text[:80]) for key, a in answers.items() if a.status_code != 403}
    assert not wrong
    assert {problem_code(a) for a in answers.values()} == {"forbidden"}
    # Nothing changed: the user's points, the rules and the batches stand as before.
    assert api.call("GET", "/v1/points", token=token).json()["balance"] == 0
    assert api.call("GET", "/v1/admin/earning-rules", "u-api5-admin", "admin").json() == rules_before
    assert "Free" not in api.call("GET", "/v1/rewards", token=token).text


def test_a_user_cannot_give_themself_the_role_through_a_claim_or_header(api: Attacker) -> None:
    token = api.cloud.token("u-api5-sneaky")
    for headers in ({"X-Roles": "admin"}, {"X-Earnloop-Admin": "true"}, {"X-Forwarded-User": "u-api5-admin"}):
        answer = api.call("GET", "/v1/admin/stats", token=token, headers=headers)
        assert answer.status_code == 403, headers
