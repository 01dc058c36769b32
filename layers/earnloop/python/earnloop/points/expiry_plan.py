"""`points_expire_plan`: the daily schedule (00:10 Asia/Shanghai) that sends the expiry's pieces."""

from __future__ import annotations

from typing import Any

from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.queues import send_all
from earnloop.platform.scheduled import due_time
from earnloop.platform.settings import get_settings
from earnloop.points.expiry_job import EXPIRY_QUEUE, plan_pieces


def plan_expiry(event: dict[str, Any]) -> dict[str, int]:
    now = due_time(event)
    pieces = plan_pieces(now, get_settings().expiry_shards)
    send_all(EXPIRY_QUEUE, pieces)
    logger.info("expiry planned", extra={"on": pieces[0].on.isoformat(), "pieces": len(pieces)})
    return {"pieces": len(pieces)}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`points_expire_plan`: one message per (index date, shard) on the `expiry` queue."""
    return plan_expiry(event)
