"""`segments_plan`: the daily schedule (03:00 Asia/Shanghai) that sends the segment move's pieces."""

from __future__ import annotations

from typing import Any

from earnloop.identity.segments_job import SEGMENTS_QUEUE, plan_pieces
from earnloop.identity.segments_service import thresholds
from earnloop.platform.clock import business_day
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.queues import send_all
from earnloop.platform.scheduled import due_time
from earnloop.platform.settings import get_settings


def plan_run(event: dict[str, Any]) -> dict[str, int]:
    on = business_day(due_time(event))
    settings = get_settings()
    pieces = plan_pieces(on, settings.segment_shards, thresholds(settings))
    send_all(SEGMENTS_QUEUE, pieces)
    logger.info("segment move planned", extra={"on": on.isoformat(), "pieces": len(pieces)})
    return {"pieces": len(pieces)}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`segments_plan`: one message per crossing (index date, segment, shard) on the `segments` queue."""
    return plan_run(event)
