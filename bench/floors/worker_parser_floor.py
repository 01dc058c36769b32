"""Cold-start floor for event-driven functions that validate what they receive with pydantic.

`worker_floor.py` plus Powertools' parser: each SQS body parsed as an EventBridge envelope and its
detail validated by a pydantic model, the shape of Powertools' batch-with-parser example. Our design
puts a pydantic model at every boundary, so this is the floor our workers can reach; the plain one
is the floor the issue names.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel

logger = Logger(service="floor")
metrics = Metrics(namespace="floor", service="floor")
tracer = Tracer(service="floor")
dynamodb = boto3.client("dynamodb")
processor = BatchProcessor(event_type=EventType.SQS)


class Greeting(BaseModel):
    message: str


def record_handler(record: SQSRecord) -> None:
    envelope = EventBridgeModel.model_validate_json(record.body)
    greeting = Greeting.model_validate(envelope.detail)
    dynamodb.put_item(TableName="floor", Item={"pk": {"S": greeting.message}})


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
