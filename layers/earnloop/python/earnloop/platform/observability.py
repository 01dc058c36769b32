"""The one Logger, Metrics and Tracer of the process (Powertools)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics, Tracer

from earnloop.platform.log_masking import MaskingFormatter

if TYPE_CHECKING:
    from collections.abc import Iterator

SERVICE = "earnloop"

# Every line passes the masking formatter: no openid, unionid, phone, address or token is logged.
logger = Logger(service=SERVICE, logger_formatter=MaskingFormatter())
metrics = Metrics(namespace="earnloop", service=SERVICE)
tracer = Tracer(service=SERVICE)


def mask(value: str | None) -> str:
    """Masks an identifier (openid, phone, token) for logs: keeps enough to correlate, not to use."""
    if not value:
        return ""
    if len(value) <= 6:
        return "***"
    return f"{value[:3]}***{value[-2:]}"


@contextmanager
def log_keys(**keys: object) -> Iterator[None]:
    """Labels every log line inside the block with `keys`, and takes them off after it.

    The logger outlives an invocation (a warm container, or the local cloud running every function
    in one process), so a key appended and left behind would label the next record's or the next
    function's lines: an HTTP error carrying a worker's `event_id`.
    """
    logger.append_keys(**keys)
    try:
        yield
    finally:
        logger.remove_keys(list(keys))
