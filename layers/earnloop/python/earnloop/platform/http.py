"""Lambda entry points for HTTP functions: one route behind Mangum."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from earnloop.platform import problems
from earnloop.platform.app import create_app
from earnloop.platform.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI


def function_handler(router: APIRouter, name: str) -> Any:
    """The `lambda_handler` of the HTTP function serving the route of `router` named `name`."""
    return app_handler(create_app([router], only={name}))


def app_handler(app: FastAPI) -> Any:
    """The `lambda_handler` serving `app` behind API Gateway (HTTP API, payload 2.0)."""
    asgi = Mangum(
        app,
        lifespan="off",
        api_gateway_base_path="/",
        # Mangum base64-encodes any type it does not know as text; problem+json and CSV are text.
        text_mime_types=["application/json", "application/problem+json", "text/"],
    )

    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    # clear_state: each invocation starts from the logger's default keys, none left by the last one.
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event.get("isBase64Encoded") and not _is_base64(event.get("body")):
            return _undecodable_body(event)
        return asgi(event, context)  # type: ignore[no-any-return]

    return lambda_handler


def _is_base64(body: object) -> bool:
    if body is None:
        return True
    if not isinstance(body, str):
        return False
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _undecodable_body(event: dict[str, Any]) -> dict[str, Any]:
    """The answer to a body marked base64 that is not: Mangum would crash decoding it (a 500 the
    client caused), so it is refused here like any body that cannot be read (docs/decisions.md)."""
    logger.info("body marked base64 is not base64")
    response = problems.problem(
        422,
        "validation_error",
        "Invalid request",
        "the request body is marked base64 but is not valid base64",
        errors=[{"loc": ["body"], "msg": "not valid base64"}],
    )
    headers = {"content-type": problems.PROBLEM_JSON}
    request_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(request_id, str):
        headers["x-request-id"] = request_id
    return {
        "statusCode": 422,
        "headers": headers,
        "body": bytes(response.body).decode(),
        "isBase64Encoded": False,
    }
