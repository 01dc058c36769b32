"""The release schedule of pending earns (function `points_release_pending`, every 15 minutes).

It queries the sparse `by_release` index, one (release day, shard) partition at a time, for the
holds whose `release_at` has passed, over the last `LOOKBACK_DAYS` days (a hold of a frozen
account waits there until the account is unfrozen, when the unfreeze releases it). Each hold is
credited under its own txn id in the transaction that deletes it: a rerun, or two overlapping runs,
credit it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from earnloop.platform.clock import iso
from earnloop.platform.errors import AccountFrozenError, LimitReachedError
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.scheduled import due_time
from earnloop.points.rules import EarningBarredError
from earnloop.points.service import Ledger
from earnloop.points.store import RELEASE_SHARDS, PointsStore

if TYPE_CHECKING:
    from earnloop.points.models import Outcome

LOOKBACK_DAYS = 8


def release_one(ledger: Ledger, user_id: str, txn_id: str, now: datetime) -> Outcome | None:
    """Credits one pending hold if it is still there and due (None: nothing to do now)."""
    hold = ledger.store.hold(user_id, txn_id)
    if hold is None or hold.release_at is None or iso(now) < hold.release_at:
        return None
    try:
        outcome = ledger.earn(hold.command, now, release_hold=True)
    except EarningBarredError:
        # A sanction came after it was held (and did not drop it): it is forfeit.
        logger.info("pending earn of a barred account, dropped", extra={"user_id": user_id, "txn_id": txn_id})
        ledger.store.delete_hold(user_id, txn_id)
        return None
    except AccountFrozenError:
        return None  # the unfreeze releases it
    except LimitReachedError:
        # Its cap was charged when it was held, so the released command has none; kept for safety.
        ledger.store.delete_hold(user_id, txn_id)
        return None
    if outcome.status == "already_applied":
        ledger.store.delete_hold(user_id, txn_id)
    return outcome


def release_due(now: datetime, ledger: Ledger | None = None, store: PointsStore | None = None) -> int:
    """Releases every pending hold due by `now`; the points credited."""
    ledger = ledger or Ledger.default()
    store = store or PointsStore.default()
    until = iso(now)
    credited = 0
    for back in range(LOOKBACK_DAYS):
        day = (now - timedelta(days=back)).date()
        for shard in range(RELEASE_SHARDS):
            for user_id, txn_id in store.holds_due(day, shard, until):
                outcome = release_one(ledger, user_id, txn_id, now)
                if outcome is not None and outcome.status == "applied" and outcome.entry is not None:
                    credited += outcome.entry.delta
    if credited:
        metrics.add_metric(name="PointsIssued", unit=MetricUnit.Count, value=credited)
    logger.info("pending earns released", extra={"points": credited})
    return credited


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return {"points": release_due(due_time(event))}
