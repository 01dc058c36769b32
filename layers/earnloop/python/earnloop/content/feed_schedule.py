"""The hot-feed schedule (`feed_hot_rank`, every 5 minutes): re-ranks the recent posts."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from earnloop.content import feed_service
from earnloop.content.feed_ranking import HotRanking
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger, metrics, tracer


class ScheduledRun(BaseModel):
    """The field we read of the "Scheduled Event": the moment the run was due (tests choose it)."""

    model_config = ConfigDict(extra="ignore")

    time: AwareDatetime | None = None


def rerank(event: dict[str, Any]) -> dict[str, int]:
    run = ScheduledRun.model_validate(event)
    return feed_service.rerank_hot(HotRanking.default(), run.time or utcnow())


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`feed_hot_rank`: the hot set, scored again as of the run's time."""
    return rerank(event)
