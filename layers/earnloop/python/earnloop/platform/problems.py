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


# The problem schemas live in the document's components, so every `$ref` resolves there (a model's
# own JSON schema would nest `$defs` that an OpenAPI document cannot point into).
_SCHEMA_REF = "#/components/schemas/{model}"


def _component_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (Problem, ValidationProblem):
        schema = model.model_json_schema(ref_template=_SCHEMA_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


SCHEMAS = _component_schemas()

# Documented on every operation of the OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A problem; `code` says which (API.md)",
        "content": {PROBLEM_JSON: {"schema": {"$ref": _SCHEMA_REF.format(model="Problem")}}},
    },
    # A dependency down (`wechat_unavailable` 503) or a bug (`internal_error` 500): problem+json too.
    "5XX": {
        "description": "A server-side problem; `code` says which (API.md)",
        "content": {PROBLEM_JSON: {"schema": {"$ref": _SCHEMA_REF.format(model="Problem")}}},
    },
    422: {
        "description": "Invalid request",
        "content": {PROBLEM_JSON: {"schema": {"$ref": _SCHEMA_REF.format(model="ValidationProblem")}}},
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
    if error.status == 401:
        response.headers["WWW-Authenticate"] = _bearer_challenge(request)
    return response


def _bearer_challenge(request: Request) -> str:
    """RFC 6750's challenge: a request that sent a token is told the token was the problem."""
    if request.headers.get("authorization"):
        return 'Bearer realm="earnloop", error="invalid_token"'
    return 'Bearer realm="earnloop"'


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in error.errors()
    ]
    return problem(422, "validation_error", "Invalid request", "the request is not valid", errors=errors)


# Errors the framework raises itself, mapped onto the codes of API.md. 405 has no code there; it
# keeps `method_not_allowed` (docs/decisions.md). A body the framework cannot parse (FastAPI's 400
# "There was an error parsing the body", e.g. JSON that is not UTF-8) is a body that is not valid:
# 422 `validation_error`, as FastAPI itself answers for JSON it cannot decode.
_HTTP_CODES: dict[int, tuple[int, str, str]] = {
    400: (422, "validation_error", "Invalid request"),
    401: (401, "unauthenticated", "Authentication required"),
    403: (403, "forbidden", "Not allowed"),
    404: (404, "not_found", "Not found"),
    405: (405, "method_not_allowed", "Method not allowed"),
    413: (413, "payload_too_large", "Payload too large"),
    429: (429, "rate_limited", "Too many requests"),
}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status, code, title = _HTTP_CODES.get(
        error.status_code,
        (error.status_code, "internal_error", "Internal error")
        if error.status_code >= 500
        else (422, "validation_error", "Invalid request"),
    )
    detail = error.detail if isinstance(error.detail, str) else title
    extra: dict[str, Any] = {}
    if code == "validation_error":
        extra["errors"] = [{"loc": ["body"], "msg": detail}]
    response = problem(status, code, title, detail, **extra)
    # Starlette's own headers say what the client needs next: `Allow` on a 405, for one.
    response.headers.update(error.headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = _bearer_challenge(request)
    return response


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # A 5xx is a bug: log it whole for the operator, tell the client nothing about the internals.
    logger.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "internal_error", "Internal error", "an unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(EarnloopError, _earnloop_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        document.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
