"""API Gateway's `$default` route: a request no route matches is answered in problem+json.

HTTP API answers an unmatched request itself with `{"message":"Not Found"}`; the `$default` route
sends it here instead. A path the API serves, asked with a method it does not serve there, falls to
`$default` too: the route table (path template -> methods) is passed at synth time in
`Settings.routes`, so that request is 405 with an `Allow` listing every method of the path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from earnloop.platform.app import create_app
from earnloop.platform.errors import NotFoundError
from earnloop.platform.http import app_handler
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from fastapi.routing import APIRoute

_EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def unrouted(routes: Mapping[str, Sequence[str]]) -> APIRouter:
    """One route taking every request, telling an unknown path (404) from a served path asked with
    another method (405, `Allow`: the methods of that path, sorted)."""
    # Path templates matched as Starlette matches them, so `{scan_id}` takes one segment here too.
    table = [(compile_path(path)[0], ", ".join(sorted(set(methods)))) for path, methods in routes.items()]
    router = APIRouter()

    def answer(request: Request) -> None:
        path = request.url.path
        for pattern, allow in table:
            if isinstance(pattern, re.Pattern) and pattern.match(path):
                raise HTTPException(405, "the path is served, not with this method", {"Allow": allow})
        raise NotFoundError("no such resource")

    router.add_api_route("/{path:path}", answer, methods=_EVERY_METHOD, include_in_schema=False)
    return router


def served_methods(routes: Sequence[APIRoute]) -> dict[str, list[str]]:
    """Path template -> methods, what `Settings.routes` holds (the CDK app passes it at synth).

    Parameters are renamed `{a}`, `{b}`, ... by position: matching needs only where a segment is
    variable, and the table shares Lambda's 4 KB of environment (`/v1/admin/users/{a}/ban`)."""
    table: dict[str, set[str]] = {}
    for route in routes:
        table.setdefault(_short(route.path), set()).update(route.methods or ())
    return {path: sorted(methods) for path, methods in sorted(table.items())}


def _short(path: str) -> str:
    names = iter("abcdefghijklmnopqrstuvwxyz")
    return _PARAMETER.sub(lambda m: "{" + next(names) + (m.group(1) or "") + "}", path)


# A path template's parameter, with or without a convertor (`{path:path}`).
_PARAMETER = re.compile(r"\{[^}:]+(:[^}]+)?\}")


def default_route_handler() -> Any:
    """The `lambda_handler` of the `$default` route, knowing the routes `Settings.routes` lists."""
    return app_handler(create_app([unrouted(get_settings().routes)], docs=False))
