"""Cold-start floor for event-driven functions (queue workers, the stream publisher, schedules).

Powertools batch (BatchProcessor over SQS) + Logger/Metrics/Tracer + one boto3 client: the shape of
Powertools' own batch example. `bench/cold_start.py` runs it as a Lambda init would.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger(service="floor")
metrics = Metrics(namespace="floor", service="floor")
tracer = Tracer(service="floor")
dynamodb = boto3.client("dynamodb")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    dynamodb.put_item(TableName="floor", Item={"pk": {"S": record.message_id}})


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
