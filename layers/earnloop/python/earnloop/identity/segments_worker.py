"""`segments_move` (queue `segments`, one message at a time): moves the users of one piece of the
daily segment move, and sends what is left of it as a new message when short of time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from earnloop.identity.segments_job import SEGMENTS_QUEUE, SegmentPiece, move_piece
from earnloop.identity.segments_service import thresholds
from earnloop.identity.segments_store import SegmentsStore
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.queues import send_all
from earnloop.platform.settings import get_settings

_processor = BatchProcessor(event_type=EventType.SQS)


def segments_store() -> SegmentsStore:
    settings = get_settings()
    return SegmentsStore(aws.dynamodb(), settings.table_name("identity"), settings.segment_shards)


def run_piece(record: SQSRecord, context: Any) -> None:
    piece = SegmentPiece.model_validate_json(record.body)
    limits = thresholds(get_settings())
    result = move_piece(piece, segments_store(), limits, utcnow(), context.get_remaining_time_in_millis)
    if result.rest is not None:
        # Sent before this message is deleted: if the send fails, the piece is redelivered whole.
        send_all(SEGMENTS_QUEUE, [result.rest])
    for segment, count in result.moved.items():
        metrics.add_metric(name="SegmentMoves", unit=MetricUnit.Count, value=count)
        logger.info("segment moves", extra={"to": segment, "count": count})
    logger.info(
        "segment piece",
        extra={
            "day": piece.day.isoformat(),
            "segment": piece.segment,
            "shard": piece.shard,
            "on": piece.on.isoformat(),
            "moved": sum(result.moved.values()),
            "resumes_after": result.rest.after if result.rest else None,
        },
    )


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`segments_move`: a failed piece alone is retried by SQS (then goes to the DLQ)."""

    def record_handler(record: SQSRecord) -> None:
        run_piece(record, context)

    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=_processor, context=context
        )
    )
