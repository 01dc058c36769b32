"""Lambda's DynamoDB-stream event source mapping, for the local cloud.

`StreamPump` reads each table's stream (DynamoDB Local) and invokes the stream consumers with
Lambda's DynamoDB-stream event, configured as infra configures the mapping: `ReportBatchItemFailures`
(the consumer's reported sequence number is the checkpoint; what came before it is done),
`BisectBatchOnFunctionError` (a failing batch is split until the failing record is alone), a number
of retry attempts, and an on-failure destination that receives the failed batch's metadata (shard
and sequence range, AWS's `DDBStreamBatchInfo` shape) before the pump moves past it. A record is
never skipped silently: it is either delivered, or its position is in the destination, from which
`earnloop replay-stream` feeds it to the consumer again.

Positions (the last record each consumer finished in each shard) can be kept in a file, so a
restarted `make dev` resumes where it stopped instead of re-delivering the whole stream.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop import contexts
from earnloop.local import lambdas, shapes
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

    from earnloop.platform.catalog import FunctionSpec

Invoker = Callable[[str, dict[str, Any]], Any]
ClientFactory = Callable[[str], Any]
FailureSink = Callable[[dict[str, Any]], None]

STREAM_BATCH_SIZE = 100
RETRY_ATTEMPTS = 3
_RETAKE_ITERATOR = ("ExpiredIteratorException", "TrimmedDataAccessException")


def failed_ids(response: Any) -> list[str] | None:
    """The `itemIdentifier`s of a partial batch response; None when the response is not one."""
    if not isinstance(response, Mapping) or not isinstance(response.get("batchItemFailures"), list):
        return None
    return [str(f.get("itemIdentifier")) for f in response["batchItemFailures"] if isinstance(f, Mapping)]


class StreamPositions:
    """The last sequence number each (consumer, table, shard) finished, kept in a JSON file if given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._done: dict[str, str] = {}
        if path is not None and path.is_file():
            self._done = {str(k): str(v) for k, v in json.loads(path.read_text()).items()}

    @staticmethod
    def key(consumer: str, table: str, shard_id: str) -> str:
        return f"{consumer}/{table}/{shard_id}"

    def get(self, key: str) -> str | None:
        return self._done.get(key)

    def set(self, key: str, sequence: str) -> None:
        self._done[key] = sequence
        if self.path is not None:
            # Written whole and renamed, so a kill mid-write leaves the previous positions intact.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(self._done, indent=1, sort_keys=True))
            os.replace(partial, self.path)


@dataclass
class _ShardPosition:
    """Where one consumer is in one shard (each Lambda event source mapping keeps its own)."""

    iterator: str | None = None
    # The first record not yet done, after a failure: the checkpoint Lambda retries from.
    retry_from: str | None = None
    # The last record done.
    after: str | None = None
    # Failed deliveries of a batch that starts at `retry_from` and can be split no further.
    attempts: int = 0
    # While isolating a failure: the size of the bisected batch.
    limit: int | None = None
    closed: bool = False


class StreamPump:
    """Delivers table stream records to the stream consumers, as Lambda's event source mapping does
    with `ReportBatchItemFailures`, `BisectBatchOnFunctionError`, `MaximumRetryAttempts` and an
    on-failure destination (see the module docstring). Batches sent to the destination are also kept
    in `failures`."""

    def __init__(
        self,
        streams: Mapping[str, str],
        region: str,
        consumers: tuple[FunctionSpec, ...] | None = None,
        invoker: Invoker | None = None,
        *,
        retry_attempts: int = RETRY_ATTEMPTS,
        batch_size: int = STREAM_BATCH_SIZE,
        on_failure: FailureSink | None = None,
        positions: StreamPositions | None = None,
        start_at_latest: Collection[str] = (),
        client: ClientFactory = aws.client,
    ) -> None:
        self.streams = dict(streams)
        self.region = region
        self.consumers = tuple(s for s in (consumers or contexts.all_functions()) if s.kind == "stream")
        self.invoke = invoker or (lambda name, event: lambdas.invoke(name, event, region))
        self.retry_attempts = retry_attempts
        self.batch_size = batch_size
        self.on_failure = on_failure
        self.positions = positions or StreamPositions()
        # Tables whose consumers, lacking a saved position, start at the newest record (LATEST)
        # rather than the oldest (TRIM_HORIZON): tables kept from an earlier run of `make dev`.
        self.start_at_latest = frozenset(start_at_latest)
        self.client = client
        self.failures: list[dict[str, Any]] = []
        self._shards: dict[tuple[str, str, str], _ShardPosition] = {}

    def step(self, limit: int | None = None) -> int:
        """One poll of every (consumer, table, shard), at most `limit` records each (the mapping's
        batch size by default); returns how many records were handed to a consumer."""
        client = self.client("dynamodbstreams")
        delivered = 0
        for table, arn in self.streams.items():
            consumers = [c for c in self.consumers if table in c.streams]
            if not consumers:
                continue
            shards = client.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", [])
            for shard in shards:
                for consumer in consumers:
                    delivered += self._poll(client, consumer.name, table, arn, shard["ShardId"], limit)
        return delivered

    def _position(self, client: Any, consumer: str, table: str, arn: str, shard_id: str) -> _ShardPosition:
        key = (consumer, table, shard_id)
        if key not in self._shards:
            position = _ShardPosition(after=self.positions.get(StreamPositions.key(*key)))
            if position.after is None and table in self.start_at_latest:
                position.after = self._last_sequence(client, arn, shard_id)
                if position.after is not None:
                    self.positions.set(StreamPositions.key(*key), position.after)
            self._shards[key] = position
        return self._shards[key]

    def _last_sequence(self, client: Any, arn: str, shard_id: str) -> str | None:
        """The shard's newest record: LATEST, taken as a position. (DynamoDB Local's own LATEST
        iterator can turn "trimmed" on an idle shard, and re-taking it would skip what arrived.)"""
        iterator = client.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )
        next_iterator, last = iterator.get("ShardIterator"), None
        while next_iterator:
            response = client.get_records(ShardIterator=next_iterator, Limit=1000)
            records = response.get("Records", [])
            if not records:
                break
            last = str(records[-1]["dynamodb"]["SequenceNumber"])
            next_iterator = response.get("NextShardIterator")
        logger.info("stream starts at latest", extra={"shard": shard_id, "after": last})
        return last

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

    def _poll(
        self, client: Any, consumer: str, table: str, arn: str, shard_id: str, limit: int | None
    ) -> int:
        position = self._position(client, consumer, table, arn, shard_id)
        if position.closed:
            return 0
        size = min(position.limit or self.batch_size, limit or self.batch_size)
        if position.iterator is None:
            position.iterator = self._iterator(client, arn, shard_id, position)
        try:
            response = client.get_records(ShardIterator=position.iterator, Limit=size)
        except ClientError as error:
            # DynamoDB Local numbers stream records database-wide, so an iterator taken on a shard
            # while it was empty points before the shard's first record once one arrives, and reads
            # fail as "trimmed". Both that and an expired iterator are re-taken from our resume point.
            if error.response.get("Error", {}).get("Code") not in _RETAKE_ITERATOR:
                raise
            position.iterator = self._iterator(client, arn, shard_id, position)
            response = client.get_records(ShardIterator=position.iterator, Limit=size)
        records = response.get("Records", [])
        next_iterator = response.get("NextShardIterator")
        if not records:
            position.iterator = next_iterator
            position.closed = next_iterator is None
            return 0
        event = {"Records": [shapes.stream_record(r, arn, self.region) for r in records]}
        failed_at = self._deliver(consumer, event)
        key = StreamPositions.key(consumer, table, shard_id)
        if failed_at is None:
            self._done(position, key, records[-1])
            position.iterator, position.retry_from, position.attempts, position.limit = (
                next_iterator,
                None,
                0,
                None,
            )
            position.closed = next_iterator is None
            return len(records)
        sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
        index = sequences.index(failed_at)
        if index > 0:
            self._done(position, key, records[index - 1])
        remaining = records[index:]
        if failed_at != position.retry_from:
            position.attempts = 0
        position.iterator, position.retry_from = None, failed_at
        if len(remaining) > 1:
            # BisectBatchOnFunctionError: retry the first half, until the failing record is alone.
            position.limit = (len(remaining) + 1) // 2
        else:
            position.attempts += 1
            if position.attempts > self.retry_attempts:
                self._send_to_destination(consumer, table, arn, shard_id, remaining, position.attempts)
                self._done(position, key, remaining[-1])
                position.retry_from, position.attempts, position.limit = None, 0, None
        return len(records)

    def _done(self, position: _ShardPosition, key: str, record: Mapping[str, Any]) -> None:
        position.after = str(record["dynamodb"]["SequenceNumber"])
        self.positions.set(key, position.after)

    def _deliver(self, consumer: str, event: dict[str, Any]) -> str | None:
        """Invokes the consumer; returns the sequence number to retry from, or None when all succeeded."""
        sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]
        try:
            response = self.invoke(consumer, event)
        except Exception:  # a crashed invocation fails the whole batch, as in Lambda
            logger.exception("stream consumer failed", extra={"consumer": consumer})
            return sequences[0]
        failed = failed_ids(response)
        if not failed:
            return None
        # Lambda checkpoints at the lowest reported sequence number; an identifier that is not in
        # the batch (empty, null, unknown) fails the whole batch.
        if any(f not in sequences for f in failed):
            return sequences[0]
        return sequences[min(sequences.index(f) for f in failed)]

    def _send_to_destination(
        self,
        consumer: str,
        table: str,
        arn: str,
        shard_id: str,
        records: list[Mapping[str, Any]],
        attempts: int,
    ) -> None:
        metadata = failure_metadata(consumer, arn, shard_id, records, attempts, self.region)
        logger.error(
            "stream batch sent to the on-failure destination",
            extra={"consumer": consumer, "table": table, **metadata["DDBStreamBatchInfo"]},
        )
        self.failures.append(metadata)
        if self.on_failure is not None:
            self.on_failure(metadata)


def failure_metadata(
    consumer: str,
    stream_arn: str,
    shard_id: str,
    records: list[Mapping[str, Any]],
    attempts: int,
    region: str,
) -> dict[str, Any]:
    """What Lambda sends an on-failure destination for a stream batch it gives up on (AWS's
    documented invocation record): the records' position, not the records."""
    arrivals = [
        shapes.stream_record(r, stream_arn, region)["dynamodb"].get("ApproximateCreationDateTime")
        for r in records
    ]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{region}:{shapes.ACCOUNT}:function:{consumer}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": str(records[0]["dynamodb"]["SequenceNumber"]),
            "endSequenceNumber": str(records[-1]["dynamodb"]["SequenceNumber"]),
            "approximateArrivalOfFirstRecord": shapes.iso_seconds_of(arrivals[0]),
            "approximateArrivalOfLastRecord": shapes.iso_seconds_of(arrivals[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
