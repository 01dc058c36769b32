"""The media sweep (`media_sweep`, every 15 minutes): media that waited too long get an outcome.

- An upload with no outcome a day after its form was issued (never sent, or its processing failed
  past its DLQ) is rejected as `abandoned`, so a post waiting on it moves on (to rejected) and the
  author is told, instead of waiting forever.
- An image WeChat was asked about and has not judged after `VERDICT_WAIT` (it answers within 30
  minutes; a push can be lost) becomes ready *in review*: a person decides, nothing unchecked is
  published. A verdict arriving later finds the item settled and changes nothing.

Only due items are read: the sparse index `media_sweep` holds waiting items by due time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from earnloop.content.media_rules import SWEEP_SHARDS
from earnloop.content.media_store import MediaStore, Outcome, media_store
from earnloop.platform.clock import iso
from earnloop.platform.observability import log_keys, logger, metrics, tracer
from earnloop.platform.scheduled import due_time

# Items handled per partition and run: a backlog is worked off over the next runs.
PER_RUN = 200


def sweep(store: MediaStore, now: datetime) -> dict[str, int]:
    moment = iso(now)
    counts = {"abandoned": 0, "sent_to_review": 0}
    for shard in range(SWEEP_SHARDS):
        for media_id in store.due_for_sweep(f"MEDIASWEEP#{shard}", moment, PER_RUN):
            with log_keys(media_id=media_id):
                media = store.get(media_id)
                if media is None or media.status != "pending":
                    continue
                if media.processed_at is None:
                    counts["abandoned"] += store.abandon(media_id, moment)
                elif media.moderation == "pending" and media.trace_id is not None:
                    overdue = Outcome("ready", moderation="review")
                    counts["sent_to_review"] += store.settle(media_id, media.trace_id, overdue, moment)
    logger.info("media swept", extra=counts)
    return counts


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return sweep(media_store(), due_time(event))
