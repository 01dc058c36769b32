"""SQS workers: each message is one EventBridge event; one bad message never re-delivers its batch.

`queue_worker({"ScanClaimed": (ScanClaimed, credit_scan)})` builds a Lambda handler that parses every
record with Powertools' EventBridge model, validates `detail` with the event's pydantic model,
calls the handler, and reports the failed message ids (Powertools BatchProcessor), so SQS retries
only those and sends a message that keeps failing to the queue's DLQ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import log_keys, logger, metrics, tracer

Route = tuple[type[DomainEvent], Callable[[Any], None]]


class UnroutableEventError(Exception):
    """A message whose detail-type this worker has no handler for: a rule is wrong; keep it."""


def handle_record(record: SQSRecord, routes: Mapping[str, Route]) -> None:
    envelope = EventBridgeModel.model_validate(json.loads(record.body))
    route = routes.get(envelope.detail_type)
    if route is None:
        raise UnroutableEventError(envelope.detail_type)
    model, handler = route
    detail = envelope.detail if isinstance(envelope.detail, dict) else {}
    event = model.model_validate(detail)
    with log_keys(event_id=detail.get("event_id"), detail_type=envelope.detail_type):
        handler(event)


def queue_worker(routes: Mapping[str, Route]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def record_handler(record: SQSRecord) -> None:
        handle_record(record, routes)

    return sqs_worker(record_handler)


def sqs_worker(
    record_handler: Callable[[SQSRecord], None],
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler for a queue whose messages are not EventBridge events (S3 notifications):
    `record_handler` gets each SQS record; a raise fails that message alone."""
    processor = BatchProcessor(event_type=EventType.SQS)

    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    # clear_state: each invocation starts from the logger's default keys (see observability.log_keys).
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return lambda_handler
