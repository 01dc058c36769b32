"""What invokes the queue and stream functions: SQS and DynamoDB-stream event source mappings.

Both report partial batch failures, so one bad message or record never re-delivers what succeeded.
The mappings live in the consumer's context stack; the stream consumers' dead-letter queues live in
the parent stack with every other queue (`stream_dead_letter_queues`), watched by its alarms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct
from earnloop.contexts import queue

from infra import nag
from infra.events import dead_letter_queue
from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from aws_cdk import aws_sqs as sqs
    from earnloop.platform.catalog import FunctionSpec

    from infra.config import StageConfig
    from infra.data import Data
    from infra.events import Events
    from infra.functions import Functions

STREAM_BATCH_SIZE = 100
# A record the publisher keeps failing on is isolated by bisecting, retried this often, then its
# position (shard and sequence numbers) goes to the DLQ; the stream keeps it 24 h for a replay.
STREAM_RETRY_ATTEMPTS = 20
STREAM_MAX_RECORD_AGE = Duration.hours(12)
STREAM_DLQ_RETENTION = Duration.days(14)
STREAM_READ = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]


def stream_dead_letter_queues(
    scope: Construct, *, config: StageConfig, specs: Iterable[FunctionSpec]
) -> dict[str, sqs.Queue]:
    """The on-failure destination of each stream consumer's mappings, by function name."""
    dlqs: dict[str, sqs.Queue] = {}
    for spec in specs:
        if spec.kind != "stream":
            continue
        dlq = dead_letter_queue(
            scope,
            f"{construct_id(spec.name)}Dlq",
            name=physical(config.stage, f"{spec.name.replace('_', '-')}-dlq"),
            retention=STREAM_DLQ_RETENTION,
        )
        nag.acknowledge(
            dlq,
            "SQS3",
            "this queue is itself a dead-letter queue: the on-failure destination of the stream "
            "event source mappings, which SQS cannot see as a redrive policy",
        )
        dlqs[spec.name] = dlq
    return dlqs


class EventSources(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        specs: Iterable[FunctionSpec],
        functions: Functions,
        data: Data,
        events: Events,
        dlqs: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, id)
        for spec in specs:
            function = functions.functions[spec.name]
            if spec.kind == "queue":
                self._queue_source(spec, function, events)
            elif spec.kind == "stream":
                self._stream_sources(spec, function, data, dlqs[spec.name])

    def _queue_source(self, spec: FunctionSpec, function: lambda_.Function, events: Events) -> None:
        if spec.queue is None or spec.queue not in events.queues:
            raise LookupError(f"worker {spec.name!r} reads unknown queue {spec.queue!r}")
        definition = queue(spec.queue)
        function.add_event_source(
            sources.SqsEventSource(
                events.queues[spec.queue],
                batch_size=definition.batch_size,
                max_concurrency=definition.max_concurrency,
                report_batch_item_failures=True,
            )
        )

    def _stream_sources(
        self, spec: FunctionSpec, function: lambda_.Function, data: Data, dlq: sqs.IQueue
    ) -> None:
        if not spec.streams:
            raise ValueError(f"stream function {spec.name!r} names no table streams")
        for table_name in spec.streams:
            table = data.tables[table_name]
            stream_arn = table.table_stream_arn
            if stream_arn is None:
                raise ValueError(f"table {table_name!r} has no stream")
            # Granted by hand on this stream only: the L2 DynamoEventSource also grants
            # dynamodb:ListStreams on "*".
            function.add_to_role_policy(iam.PolicyStatement(actions=STREAM_READ, resources=[stream_arn]))
            function.add_event_source_mapping(
                f"{construct_id(table_name)}Stream",
                event_source_arn=stream_arn,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=STREAM_BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                max_record_age=STREAM_MAX_RECORD_AGE,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(dlq),
            )
