"""The hot-feed schedule (`feed_hot_rank`, every 5 minutes): re-ranks the recent posts."""

from __future__ import annotations

from typing import Any

from earnloop.content import feed_service
from earnloop.content.feed_ranking import HotRanking
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.scheduled import due_time


def rerank(event: dict[str, Any]) -> dict[str, int]:
    return feed_service.rerank_hot(HotRanking.default(), due_time(event))


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`feed_hot_rank`: the hot set, scored again as of the run's time."""
    return rerank(event)
