"""Request body size limits per route, enforced before anything parses the body.

Every route takes at most `DEFAULT_MAX_BODY_BYTES`; a route whose bodies are legitimately larger says
so with `openapi_extra=max_body(<bytes>)`, which also documents the limit in the OpenAPI document
(`x-max-body-bytes`). A declared `Content-Length` over the limit is refused without reading a byte; a
body without one (chunked) is read up to the limit and refused at the first byte past it. Either way
the answer is 413 `payload_too_large` problem+json, and the route never runs (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.routing import Match

from earnloop.platform import problems
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from fastapi.routing import APIRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Generous for every body the API takes (a post: 1,000 characters, each up to 6 bytes as a JSON
# escape, nine media ids, topics), small enough that a hostile body costs a handler nothing.
DEFAULT_MAX_BODY_BYTES = 16 * 1024
EXTENSION = "x-max-body-bytes"


def max_body(limit: int) -> dict[str, Any]:
    """A route's `openapi_extra` raising (or lowering) its body limit to `limit` bytes."""
    return {EXTENSION: limit}


def route_limit(route: APIRoute) -> int:
    return int((route.openapi_extra or {}).get(EXTENSION, DEFAULT_MAX_BODY_BYTES))


class BodyLimit:
    """ASGI middleware refusing a body over its route's limit with 413, before the route reads it."""

    def __init__(self, app: ASGIApp, routes: Sequence[APIRoute]) -> None:
        self.app = app
        self.routes = list(routes)

    def limit_for(self, scope: Scope) -> int:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route_limit(route)
        # No route serves it (a 404 or 405 follows): the default still bounds what is read.
        return DEFAULT_MAX_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, receive, send, limit)
            return
        # Read the body here, at most `limit` bytes of it, then hand the route exactly what was read.
        # The route's own parsing never sees a byte past the limit, whatever the length header said.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: let the app see it as it would have.
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        read = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([read], receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(messages: list[Message], then: Receive) -> Receive:
    """`messages`, then whatever the server says next (its disconnect, when it comes)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    logger.info("request body over its route's limit", extra={"path": scope.get("path"), "limit": limit})
    response = problems.problem(
        413,
        "payload_too_large",
        "Payload too large",
        f"the request body is over this route's limit of {limit} bytes",
        limit=limit,
    )
    await response(scope, receive, send)
