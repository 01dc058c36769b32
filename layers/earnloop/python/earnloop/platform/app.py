"""The FastAPI app factory: the routers it is given, problem+json errors, request correlation.

A deployed function serves one route of its own context's router
(`create_app([codes_router], only={"scans_create"})`); the local cloud and the OpenAPI document are
given every context's router by `earnloop.contexts`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from earnloop.platform import problems
from earnloop.platform.body_limits import BodyLimit
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response


def api_routes(routers: Sequence[APIRouter]) -> list[APIRoute]:
    """Every route of `routers`, in order."""
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]


def create_app(
    routers: Sequence[APIRouter], only: Collection[str] | None = None, *, docs: bool = True
) -> FastAPI:
    """The HTTP app of `routers`. With `only`, just the routes of those names (one Lambda function each).
    Without `docs`, no `/docs` or `/openapi.json` (the `$default` route's app would serve them)."""
    app = FastAPI(
        title="earnloop",
        version="1",
        description="HTTP API of the earnloop mini-program backend.",
        docs_url="/docs" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        redoc_url=None,
        responses=problems.RESPONSES,
        # operationId = route name = function name, so the document lines up with the catalog.
        generate_unique_id_function=lambda route: route.name,
    )
    if only is None:
        for router in routers:
            app.include_router(router)
    else:
        wanted = set(only)
        selected = APIRouter()
        selected.routes.extend(route for route in api_routes(routers) if route.name in wanted)
        missing = wanted - {route.name for route in selected.routes if isinstance(route, APIRoute)}
        if missing:
            raise LookupError(f"no route named {sorted(missing)}")
        app.include_router(selected)
    problems.install(app)
    # Added before `correlate`, so it runs inside it: a 413 carries the request id too.
    served = [route for route in api_routes(routers) if only is None or route.name in only]
    app.add_middleware(BodyLimit, routes=served)

    @app.middleware("http")
    async def correlate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        event = request.scope.get("aws.event")
        if event is None:
            # Served outside Lambda (the local cloud's uvicorn): no invocation wrapper resets the
            # logger, so each request starts from its default keys here.
            logger.clear_state()
            event = {}
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


def openapi_json(routers: Sequence[APIRouter]) -> str:
    """The OpenAPI document of `routers`, as committed in `docs/openapi.json` (`make openapi`)."""
    import json

    return json.dumps(create_app(routers).openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
