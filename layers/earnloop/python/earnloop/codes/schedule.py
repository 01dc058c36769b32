"""Scheduled functions of the codes context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from earnloop.codes import service
from earnloop.codes.store import codes_store
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger, metrics, tracer


class ScheduledRun(BaseModel):
    """The fields we read of the "Scheduled Event" a schedule delivers."""

    model_config = ConfigDict(extra="ignore")

    # The moment the run was due: a retried or replayed run sweeps as of then, and tests choose it.
    # Absent when a schedule sends its own (or no) input: then it is now.
    time: AwareDatetime | None = None


def sweep_claims(event: dict[str, Any]) -> dict[str, int]:
    run = ScheduledRun.model_validate(event)
    now: datetime = run.time or utcnow()
    return {"touched": service.sweep_pending_claims(codes_store(), now)}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`claims_sweep`: every 15 minutes, republishes `ScanClaimed` for claims credited by no one."""
    return sweep_claims(event)
