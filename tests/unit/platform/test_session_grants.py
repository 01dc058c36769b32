"""A function may read the session key's public halves exactly when one of its routes checks a token,
and only the login may sign: a missing grant would be a 500 in AWS (moto does not enforce IAM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.contexts import all_functions, routers
from earnloop.platform.app import api_routes
from earnloop.platform.auth import current_user

if TYPE_CHECKING:
    from fastapi.dependencies.models import Dependant


def _checks_a_token(dependant: Dependant) -> bool:
    return any(d.call is current_user or _checks_a_token(d) for d in dependant.dependencies)


def test_every_route_that_checks_a_token_may_verify_it_and_no_other_may():
    checking = {route.name for route in api_routes(routers()) if _checks_a_token(route.dependant)}
    granted = {
        spec.name
        for spec in all_functions()
        if any((g.kind, g.name, g.access) == ("key", "session", "verify") for g in spec.grants)
    }

    assert "me_get" in checking and "auth_login" not in checking
    # The JWKS serves the public halves without checking a token: it reads them too.
    assert granted == checking | {"jwks"}


def test_the_login_signs_and_nothing_else_does():
    signers = {
        spec.name
        for spec in all_functions()
        if any((g.kind, g.access) == ("key", "sign") for g in spec.grants)
    }
    assert signers == {"auth_login"}
