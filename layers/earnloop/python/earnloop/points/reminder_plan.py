"""`points_remind_plan`: the daily schedule (10:00 Asia/Shanghai) that sends the reminder pieces."""

from __future__ import annotations

from typing import Any

from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.queues import send_all
from earnloop.platform.scheduled import due_time
from earnloop.platform.settings import get_settings
from earnloop.points.expiry_job import EXPIRY_QUEUE
from earnloop.points.reminders import plan_reminders


def plan_reminder_run(event: dict[str, Any]) -> dict[str, int]:
    now = due_time(event)
    settings = get_settings()
    pieces = plan_reminders(now, settings.expiry_shards, settings.expiry_reminder_days)
    send_all(EXPIRY_QUEUE, pieces)
    logger.info("reminders planned", extra={"on": pieces[0].on.isoformat(), "pieces": len(pieces)})
    return {"pieces": len(pieces)}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`points_remind_plan`: one reminder piece per (index date, shard) on the `expiry` queue."""
    return plan_reminder_run(event)
