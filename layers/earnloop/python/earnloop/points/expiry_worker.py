"""`points_expire` (queue `expiry`, one message at a time): expires the accounts of one piece (or, for
a reminder piece, reminds them: points/reminders.py), and sends what is left of it as a new message
when the invocation runs short of time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import TypeAdapter

from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.queues import send_all
from earnloop.points.expiry_job import EXPIRY_QUEUE, ExpiryPiece, expire_piece
from earnloop.points.reminders import ReminderPiece, remind_piece
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

_processor = BatchProcessor(event_type=EventType.SQS)
# Both kinds forbid unknown fields, so a message is exactly one of them (a reminder has `kind`).
_PIECE: TypeAdapter[ExpiryPiece | ReminderPiece] = TypeAdapter(ExpiryPiece | ReminderPiece)


def run_reminder_piece(piece: ReminderPiece, context: Any) -> None:
    result = remind_piece(piece, PointsStore.default(), context.get_remaining_time_in_millis)
    if result.rest is not None:
        send_all(EXPIRY_QUEUE, [result.rest])
    logger.info(
        "reminder piece",
        extra={
            "due": piece.due.isoformat(),
            "shard": piece.shard,
            "reminded": result.reminded,
            "resumes_after": result.rest.after if result.rest else None,
        },
    )


def run_piece(record: SQSRecord, context: Any) -> None:
    piece = _PIECE.validate_json(record.body)
    if isinstance(piece, ReminderPiece):
        run_reminder_piece(piece, context)
        return
    result = expire_piece(
        piece, PointsStore.default(), Ledger.default(), utcnow(), context.get_remaining_time_in_millis
    )
    if result.rest is not None:
        # Sent before this message is deleted: if the send fails, the piece is redelivered whole.
        send_all(EXPIRY_QUEUE, [result.rest])
    if result.points:
        metrics.add_metric(name="PointsExpired", unit=MetricUnit.Count, value=result.points)
    logger.info(
        "expiry piece",
        extra={
            "due": piece.due.isoformat(),
            "shard": piece.shard,
            "on": piece.on.isoformat(),
            "expired": result.expired,
            "points": result.points,
            "resumes_after": result.rest.after if result.rest else None,
        },
    )


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`points_expire`: a failed piece alone is retried by SQS (then goes to the DLQ)."""

    def record_handler(record: SQSRecord) -> None:
        run_piece(record, context)

    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=_processor, context=context
        )
    )
