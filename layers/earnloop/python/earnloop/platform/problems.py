"""RFC 9457 problem+json for every error; the one table mapping exceptions to responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from earnloop.platform.errors import EarnloopError
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class FieldError(BaseModel):
    loc: list[str]
    msg: str


class ValidationProblem(Problem):
    errors: list[FieldError]


# Documented on every operation of the OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A problem; `code` says which (API.md)",
        "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
    },
    422: {
        "description": "Invalid request",
        "content": {PROBLEM_JSON: {"schema": ValidationProblem.model_json_schema()}},
    },
}


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:earnloop:problem:{code}", "title": title, "status": status, "detail": detail}
    body["code"] = code
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _earnloop_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, EarnloopError)
    response = problem(error.status, error.code, error.title, error.detail, **error.extensions)
    response.headers.update(error.headers)
    return response


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in error.errors()
    ]
    return problem(422, "validation_error", "Invalid request", "the request is not valid", errors=errors)


_HTTP_CODES = {
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code, title = _HTTP_CODES.get(error.status_code, ("http_error", "HTTP error"))
    detail = error.detail if isinstance(error.detail, str) else title
    return problem(error.status_code, code, title, detail)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # A 5xx is a bug: log it whole for the operator, tell the client nothing about the internals.
    logger.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "internal_error", "Internal error", "an unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(EarnloopError, _earnloop_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
