"""`leaderboard_build`: every minute, merges the top of each board shard into the monthly and the
all-time board, each one item that `GET /v1/leaderboard` reads."""

from __future__ import annotations

from typing import Any

from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.scheduled import due_time
from earnloop.stats import service
from earnloop.stats.store import StatsStore


def build_boards(event: dict[str, Any]) -> dict[str, int]:
    now = due_time(event)
    store = StatsStore.default()
    built = {
        period: len(service.build_board(store, service.period_of(period, now), now))
        for period in ("month", "all")
    }
    logger.info("leaderboards built", extra=built)
    return built


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`leaderboard_build`: the monthly and the all-time board, rebuilt from the score shards."""
    return build_boards(event)
