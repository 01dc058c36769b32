"""Lambda entry points for HTTP functions: one route behind Mangum."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from earnloop.platform.app import create_app
from earnloop.platform.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from fastapi import APIRouter


def function_handler(router: APIRouter, name: str) -> Any:
    """The `lambda_handler` of the HTTP function serving the route of `router` named `name`."""
    asgi = Mangum(
        create_app([router], only={name}),
        lifespan="off",
        api_gateway_base_path="/",
        # Mangum base64-encodes any type it does not know as text; problem+json and CSV are text.
        text_mime_types=["application/json", "application/problem+json", "text/"],
    )

    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return asgi(event, context)  # type: ignore[no-any-return]

    return lambda_handler
