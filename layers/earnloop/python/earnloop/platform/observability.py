"""The one Logger, Metrics and Tracer of the process (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "earnloop"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="earnloop", service=SERVICE)
tracer = Tracer(service=SERVICE)


def mask(value: str | None) -> str:
    """Masks an identifier (openid, phone, token) for logs: keeps enough to correlate, not to use."""
    if not value:
        return ""
    if len(value) <= 6:
        return "***"
    return f"{value[:3]}***{value[-2:]}"
