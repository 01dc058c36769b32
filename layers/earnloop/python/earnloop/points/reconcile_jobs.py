"""The reconciliation's two functions: `points_reconcile_plan` (02:30 Asia/Shanghai) sends one piece
per shard of the previous business day to the `reconcile` queue; `points_reconcile` checks one piece
and sends what is left of it as a new message when short of time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.queues import send_all
from earnloop.platform.scheduled import due_time
from earnloop.points.reconcile import RECONCILE_QUEUE, ReconcilePiece, plan_pieces, reconcile_piece
from earnloop.points.reconcile_store import ReconcileStore
from earnloop.points.store import CHANGE_SHARDS

_processor = BatchProcessor(event_type=EventType.SQS)


def plan_reconcile(event: dict[str, Any]) -> dict[str, int]:
    now = due_time(event)
    pieces = plan_pieces(now, CHANGE_SHARDS)
    send_all(RECONCILE_QUEUE, pieces)
    logger.info("reconciliation planned", extra={"day": pieces[0].day.isoformat(), "pieces": len(pieces)})
    return {"pieces": len(pieces)}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def plan_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`points_reconcile_plan`: one message per shard of yesterday's `by_change` partitions."""
    return plan_reconcile(event)


def run_piece(record: SQSRecord, context: Any) -> None:
    piece = ReconcilePiece.model_validate_json(record.body)
    result = reconcile_piece(piece, ReconcileStore.default(), utcnow(), context.get_remaining_time_in_millis)
    metrics.add_metric(name="AccountsReconciled", unit=MetricUnit.Count, value=result.checked)
    if result.rest is not None:
        # Sent before this message is deleted: if the send fails, the piece is redelivered whole.
        send_all(RECONCILE_QUEUE, [result.rest])


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def worker_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`points_reconcile`: a failed piece alone is retried by SQS (then goes to the DLQ)."""

    def record_handler(record: SQSRecord) -> None:
        run_piece(record, context)

    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=_processor, context=context
        )
    )
