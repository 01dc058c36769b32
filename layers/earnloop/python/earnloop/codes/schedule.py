"""Scheduled functions of the codes context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from earnloop.codes import service
from earnloop.codes.store import codes_store
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.scheduled import due_time


def sweep_claims(event: dict[str, Any]) -> dict[str, int]:
    now: datetime = due_time(event)
    return {"touched": service.sweep_pending_claims(codes_store(), now)}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`claims_sweep`: every 15 minutes, republishes `ScanClaimed` for claims credited by no one."""
    return sweep_claims(event)
