"""The event plumbing Lambda provides in AWS, for the local cloud.

`StreamPump` reads each table's stream from DynamoDB Local and invokes the stream consumers
(`catalog` entries of kind "stream") with Lambda's DynamoDB-stream event, resuming from the sequence
number a consumer reports in `batchItemFailures`. `QueuePump` receives from each queue of
`resources.QUEUES`, invokes its consumer with Lambda's SQS event, deletes what succeeded and leaves
the failures in flight, so they come back after the visibility timeout and, after
`max_receive_count` receives, land in the DLQ (moto's redrive does that on the next receive).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from earnloop.local import lambdas, shapes
from earnloop.platform import aws
from earnloop.platform.catalog import FunctionSpec, all_functions
from earnloop.platform.observability import logger
from earnloop.platform.resources import QUEUES, Queue

Invoker = Callable[[str, dict[str, Any]], Any]
ClientFactory = Callable[[str], Any]

STREAM_BATCH_SIZE = 100
_RETAKE_ITERATOR = ("ExpiredIteratorException", "TrimmedDataAccessException")


def _default_invoker(region: str) -> Invoker:
    def invoke(name: str, event: dict[str, Any]) -> Any:
        return lambdas.invoke(name, event, region)

    return invoke


def _failed_ids(response: Any) -> list[str] | None:
    """The `itemIdentifier`s of a partial batch response; None when the response is not one."""
    if not isinstance(response, Mapping) or not isinstance(response.get("batchItemFailures"), list):
        return None
    return [str(f.get("itemIdentifier")) for f in response["batchItemFailures"] if isinstance(f, Mapping)]


@dataclass
class _ShardPosition:
    """Where one consumer is in one shard (each Lambda event source mapping keeps its own)."""

    iterator: str | None = None
    # Resume points, used when the iterator must be fetched again.
    retry_from: str | None = None
    after: str | None = None
    attempts: int = 0
    closed: bool = False


@dataclass
class DroppedBatch:
    consumer: str
    table: str
    first_sequence: str
    records: int


class StreamPump:
    """Delivers table stream records to the stream consumers, as Lambda's event source mapping does.

    A batch that keeps failing is retried `max_attempts` times, then dropped and logged as an error
    (in AWS the retry limit and on-failure destination are the mapping's settings; locally a
    poisoned stream must not stop the pump forever). Dropped batches are kept in `dropped`.
    """

    def __init__(
        self,
        streams: Mapping[str, str],
        region: str,
        consumers: tuple[FunctionSpec, ...] | None = None,
        invoker: Invoker | None = None,
        max_attempts: int = 3,
        client: ClientFactory = aws.client,
    ) -> None:
        self.streams = dict(streams)
        self.region = region
        self.consumers = tuple(s for s in (consumers or all_functions()) if s.kind == "stream")
        self.invoke = invoker or _default_invoker(region)
        self.max_attempts = max_attempts
        self.client = client
        self.dropped: list[DroppedBatch] = []
        self._positions: dict[tuple[str, str, str], _ShardPosition] = {}

    def step(self) -> int:
        """One poll of every (consumer, table, shard); returns how many records were delivered."""
        client = self.client("dynamodbstreams")
        delivered = 0
        for table, arn in self.streams.items():
            consumers = [c for c in self.consumers if table in c.streams]
            if not consumers:
                continue
            shards = client.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", [])
            for shard in shards:
                for consumer in consumers:
                    delivered += self._poll(client, consumer.name, table, arn, shard["ShardId"])
        return delivered

    def _iterator(self, client: Any, arn: str, shard_id: str, position: _ShardPosition) -> str:
        if position.retry_from is not None:
            kind, sequence = "AT_SEQUENCE_NUMBER", position.retry_from
        elif position.after is not None:
            kind, sequence = "AFTER_SEQUENCE_NUMBER", position.after
        else:
            kind, sequence = "TRIM_HORIZON", None
        request: dict[str, Any] = {"StreamArn": arn, "ShardId": shard_id, "ShardIteratorType": kind}
        if sequence is not None:
            request["SequenceNumber"] = sequence
        return str(client.get_shard_iterator(**request)["ShardIterator"])

    def _poll(self, client: Any, consumer: str, table: str, arn: str, shard_id: str) -> int:
        position = self._positions.setdefault((consumer, arn, shard_id), _ShardPosition())
        if position.closed:
            return 0
        if position.iterator is None:
            position.iterator = self._iterator(client, arn, shard_id, position)
        try:
            response = client.get_records(ShardIterator=position.iterator, Limit=STREAM_BATCH_SIZE)
        except ClientError as error:
            # DynamoDB Local numbers stream records database-wide, so an iterator taken on a shard
            # while it was empty points before the shard's first record once one arrives, and reads
            # fail as "trimmed". Both that and an expired iterator are re-taken from our resume point.
            if error.response.get("Error", {}).get("Code") not in _RETAKE_ITERATOR:
                raise
            position.iterator = self._iterator(client, arn, shard_id, position)
            response = client.get_records(ShardIterator=position.iterator, Limit=STREAM_BATCH_SIZE)
        records = response.get("Records", [])
        next_iterator = response.get("NextShardIterator")
        if not records:
            position.iterator = next_iterator
            position.closed = next_iterator is None
            return 0
        event = {"Records": [shapes.stream_record(r, arn, self.region) for r in records]}
        failed_at = self._deliver(consumer, event)
        if failed_at is None:
            position.iterator, position.retry_from, position.attempts = next_iterator, None, 0
            position.after = records[-1]["dynamodb"]["SequenceNumber"]
            position.closed = next_iterator is None
            return len(records)
        position.attempts += 1
        if position.attempts >= self.max_attempts:
            logger.error(
                "stream batch dropped after retries",
                extra={
                    "consumer": consumer,
                    "table": table,
                    "sequence": failed_at,
                    "attempts": position.attempts,
                },
            )
            self.dropped.append(DroppedBatch(consumer, table, failed_at, len(records)))
            position.iterator, position.retry_from, position.attempts = next_iterator, None, 0
            position.after = records[-1]["dynamodb"]["SequenceNumber"]
            position.closed = next_iterator is None
        else:
            # Lambda re-reads the shard from the first failed record; what came before it is done.
            position.iterator, position.retry_from = None, failed_at
        return len(records)

    def _deliver(self, consumer: str, event: dict[str, Any]) -> str | None:
        """Invokes the consumer; returns the sequence number to retry from, or None when all succeeded."""
        first = str(event["Records"][0]["dynamodb"]["SequenceNumber"])
        try:
            response = self.invoke(consumer, event)
        except Exception:  # a crashed invocation: Lambda retries the whole batch
            logger.exception("stream consumer failed", extra={"consumer": consumer})
            return first
        failed = _failed_ids(response)
        if not failed:
            return None
        sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]
        # The earliest reported record (an unknown identifier means the whole batch, as in AWS).
        positions = [sequences.index(f) if f in sequences else 0 for f in failed]
        return sequences[min(positions)]


@dataclass
class QueueEndpoints:
    url: str
    arn: str
    dlq_url: str


@dataclass
class QueuePump:
    """Delivers SQS messages to each queue's consumer, as Lambda's SQS event source mapping does."""

    queues: Mapping[str, QueueEndpoints]
    region: str
    invoke: Invoker
    definitions: tuple[Queue, ...] = QUEUES
    client: ClientFactory = aws.client
    # Receipt handles of messages left in flight (failed, or delivered without deletion).
    in_flight: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        urls: Mapping[str, tuple[str, str]],
        region: str,
        invoker: Invoker | None = None,
        client: ClientFactory = aws.client,
    ) -> QueuePump:
        """From queue name -> (url, dlq url), looking the ARNs up."""
        sqs = client("sqs")
        endpoints = {}
        for name, (url, dlq_url) in urls.items():
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            endpoints[name] = QueueEndpoints(url, arn, dlq_url)
        return cls(endpoints, region, invoker or _default_invoker(region), client=client)

    def consumable(self) -> list[Queue]:
        """The queues whose consumer function exists (a context still being written is skipped)."""
        return [
            q
            for q in self.definitions
            if q.name in self.queues and lambdas.handler_path(q.consumer).is_file()
        ]

    def step(self, only: str | None = None, delete: bool = True) -> int:
        """One receive per queue (or just `only`); returns how many messages were delivered.

        `delete=False` delivers without deleting even what succeeded: a worker that died after its
        work but before Lambda deleted the message. Such messages stay in flight like failures.
        """
        delivered = 0
        for queue in self.consumable():
            if only is None or queue.name == only:
                delivered += self._deliver(queue, delete)
        return delivered

    def _deliver(self, queue: Queue, delete: bool) -> int:
        sqs = self.client("sqs")
        endpoint = self.queues[queue.name]
        messages = sqs.receive_message(
            QueueUrl=endpoint.url,
            MaxNumberOfMessages=min(queue.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0
        records = [
            shapes.sqs_record(m, endpoint.arn, self.region, shapes.normalise_body(m["Body"], self.region))
            for m in messages
        ]
        try:
            response = self.invoke(queue.consumer, {"Records": records})
            failed = set(_failed_ids(response) or [])
        except Exception:  # a crashed invocation: the whole batch returns to the queue
            logger.exception("queue consumer failed", extra={"consumer": queue.consumer})
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed] if delete else []
        if done:
            sqs.delete_message_batch(
                QueueUrl=endpoint.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        kept = [m["ReceiptHandle"] for m in messages if m not in done]
        if kept:
            self.in_flight.setdefault(queue.name, []).extend(kept)
        logger.debug(
            "queue batch delivered",
            extra={"queue": queue.name, "messages": len(messages), "failed": len(failed), "kept": len(kept)},
        )
        return len(messages)

    def release_in_flight(self) -> int:
        """Makes every message this pump left in flight visible again now, instead of after the
        visibility timeout (ChangeMessageVisibility 0). Returns how many were released."""
        sqs = self.client("sqs")
        released = 0
        pending, self.in_flight = self.in_flight, {}
        for name, handles in pending.items():
            for handle in handles:
                try:
                    sqs.change_message_visibility(
                        QueueUrl=self.queues[name].url, ReceiptHandle=handle, VisibilityTimeout=0
                    )
                    released += 1
                except ClientError as error:
                    # Already deleted or received again under a newer handle: nothing to release.
                    logger.debug("message not released", extra={"queue": name, "error": str(error)})
        return released

    def send(self, name: str, body: str | Mapping[str, Any]) -> str:
        """Puts a message on a queue directly (tests: a duplicate delivery, a poison message)."""
        text = body if isinstance(body, str) else json.dumps(body)
        return str(
            self.client("sqs").send_message(QueueUrl=self.queues[name].url, MessageBody=text)["MessageId"]
        )

    def dead_letters(self, name: str) -> list[dict[str, Any]]:
        """The messages now in a queue's DLQ (received with a zero visibility timeout, so they stay)."""
        sqs = self.client("sqs")
        found: dict[str, dict[str, Any]] = {}
        for _ in range(10):
            messages = sqs.receive_message(
                QueueUrl=self.queues[name].dlq_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=0,
                AttributeNames=["All"],
            ).get("Messages", [])
            if not messages or all(m["MessageId"] in found for m in messages):
                break
            found.update({m["MessageId"]: m for m in messages})
        return list(found.values())
