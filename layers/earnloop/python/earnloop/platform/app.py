"""The FastAPI app factory: every context's router, problem+json errors, request correlation.

A deployed function serves one route (`create_app(only={"scans_create"})`); the local cloud and the
OpenAPI document use all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from earnloop.platform import problems
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response


def routers() -> list[APIRouter]:
    from earnloop.codes.api import router as codes
    from earnloop.identity.api import router as identity
    from earnloop.platform.health import router as health
    from earnloop.points.api import router as points

    return [health, identity, points, codes]


def api_routes() -> list[APIRoute]:
    """Every route of every context, in the order the routers list them."""
    return [route for router in routers() for route in router.routes if isinstance(route, APIRoute)]


def create_app(only: Collection[str] | None = None) -> FastAPI:
    """The HTTP app. With `only`, just the routes of those names (one Lambda function each)."""
    app = FastAPI(
        title="earnloop",
        version="1",
        description="HTTP API of the earnloop mini-program backend.",
        docs_url="/docs",
        redoc_url=None,
        responses=problems.RESPONSES,
        # operationId = route name = function name, so the document lines up with the catalog.
        generate_unique_id_function=lambda route: route.name,
    )
    if only is None:
        for router in routers():
            app.include_router(router)
    else:
        wanted = set(only)
        selected = APIRouter()
        selected.routes.extend(route for route in api_routes() if route.name in wanted)
        missing = wanted - {route.name for route in selected.routes if isinstance(route, APIRoute)}
        if missing:
            raise LookupError(f"no route named {sorted(missing)}")
        app.include_router(selected)
    problems.install(app)

    @app.middleware("http")
    async def correlate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        event = request.scope.get("aws.event") or {}
        request_id = (
            event.get("requestContext", {}).get("requestId")
            or request.headers.get("x-request-id")
            or new_id()
        )
        logger.set_correlation_id(request_id)
        response = await call_next(request)
        response.headers["X-Request-Id"] = request_id
        return response

    return app


def openapi_json() -> str:
    """The OpenAPI document of every route, as committed in `docs/openapi.json` (`make openapi`)."""
    import json

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
