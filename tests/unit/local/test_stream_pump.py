"""The stream pump's Lambda semantics, against an in-memory fake of the DynamoDB Streams API (no
sockets), configured as infra configures the mapping: ReportBatchItemFailures, bisect on error,
retry attempts, an on-failure destination; and positions kept across restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from earnloop.local.stream_pump import StreamPositions, StreamPump
from earnloop.platform.catalog import FunctionSpec

if TYPE_CHECKING:
    from pathlib import Path

ARN = "arn:aws:dynamodb:ap-east-1:123456789012:table/earnloop-local-codes/stream/2026-11-23T09:00:00.000"
CONSUMER = FunctionSpec("stream_publisher", "stream", streams=("codes",))


def seq(n: int) -> str:
    return f"{n:021d}"


class FakeStreams:
    """One shard of DynamoDB stream records; iterators are positions."""

    def __init__(self, count: int) -> None:
        self.records: list[dict[str, Any]] = []
        self.add(count)
        self.expire_next = False

    def add(self, count: int) -> None:
        first = len(self.records) + 1
        self.records.extend(
            {
                "eventID": f"e{n}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ddblocal",
                "dynamodb": {
                    "ApproximateCreationDateTime": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                    "Keys": {"pk": {"S": f"K{n}"}},
                    "NewImage": {"pk": {"S": f"K{n}"}},
                    "SequenceNumber": seq(n),
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
            for n in range(first, first + count)
        )

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in self.records]
        kind = request["ShardIteratorType"]
        if kind == "TRIM_HORIZON":
            position = 0
        elif kind == "AT_SEQUENCE_NUMBER":
            position = sequences.index(request["SequenceNumber"])
        else:
            position = sequences.index(request["SequenceNumber"]) + 1
        return {"ShardIterator": str(position)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        if self.expire_next:
            self.expire_next = False
            raise ClientError({"Error": {"Code": "ExpiredIteratorException", "Message": "x"}}, "GetRecords")
        start = int(ShardIterator)
        batch = self.records[start : start + Limit]
        return {"Records": batch, "NextShardIterator": str(start + len(batch))}


class Consumer:
    """A stream consumer: answers from a script of responses (an exception is raised), then fails
    every batch holding one of the `poison` event ids (reporting it), then succeeds."""

    def __init__(self, *responses: Any, poison: frozenset[str] = frozenset(), crash: bool = False) -> None:
        self.responses = list(responses)
        self.poison = poison
        self.crash = crash
        self.batches: list[list[str]] = []

    def __call__(self, name: str, event: dict[str, Any]) -> Any:
        ids = [r["eventID"] for r in event["Records"]]
        self.batches.append(ids)
        if self.responses:
            response = self.responses.pop(0)
            if isinstance(response, Exception):
                raise response
            return response
        bad = [r for r in event["Records"] if r["eventID"] in self.poison]
        if bad and self.crash:
            raise RuntimeError("poison record")
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in bad[:1]]}

    def delivered(self) -> list[str]:
        return [i for batch in self.batches for i in batch]


def stream_pump(streams: FakeStreams, consumer: Consumer, **options: Any) -> StreamPump:
    return StreamPump({"codes": ARN}, "ap-east-1", (CONSUMER,), consumer, client=lambda _: streams, **options)


def pump_until_quiet(pump: StreamPump, rounds: int = 50) -> None:
    for _ in range(rounds):
        if pump.step() == 0:
            return
    raise AssertionError("the pump did not settle")


def test_stream_records_reach_the_consumer_in_lambdas_shape_once() -> None:
    consumer = Consumer()
    pump = stream_pump(FakeStreams(3), consumer)

    assert pump.step() == 3
    assert pump.step() == 0
    assert consumer.batches == [["e1", "e2", "e3"]]


def test_a_step_takes_at_most_limit_records() -> None:
    consumer = Consumer()
    pump = stream_pump(FakeStreams(5), consumer)

    pump.step(limit=2)
    pump_until_quiet(pump)

    assert consumer.batches[0] == ["e1", "e2"]
    assert consumer.delivered() == ["e1", "e2", "e3", "e4", "e5"]


def test_a_reported_failure_is_the_checkpoint_and_what_follows_is_bisected() -> None:
    consumer = Consumer({"batchItemFailures": [{"itemIdentifier": seq(2)}]})
    pump = stream_pump(FakeStreams(5), consumer)

    pump_until_quiet(pump)

    # e1 is done; e2..e5 are split in two and retried from e2; nothing is delivered twice after.
    assert consumer.batches == [["e1", "e2", "e3", "e4", "e5"], ["e2", "e3"], ["e4", "e5"]]
    assert pump.failures == []


def test_a_crashed_invocation_splits_the_batch_until_the_bad_record_is_alone() -> None:
    consumer = Consumer(poison=frozenset({"e3"}), crash=True)
    pump = stream_pump(FakeStreams(4), consumer, retry_attempts=1)

    pump_until_quiet(pump)

    assert consumer.batches[:3] == [["e1", "e2", "e3", "e4"], ["e1", "e2"], ["e3", "e4"]]
    assert consumer.batches[3:5] == [["e3"], ["e3"]]  # the first try and one retry, alone
    assert consumer.batches[5:] == [["e4"]]
    [failure] = pump.failures
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == seq(3)


def test_a_record_failing_every_retry_goes_to_the_destination_alone_and_the_rest_flows() -> None:
    sent: list[dict[str, Any]] = []
    consumer = Consumer(poison=frozenset({"e2"}))
    pump = stream_pump(FakeStreams(4), consumer, retry_attempts=2, on_failure=sent.append)

    pump_until_quiet(pump)

    # e1, before the failure point, is done once; the rest of the batch is split until e2 is
    # alone; e2 alone is tried once and retried twice; then the pump moves on past it.
    assert consumer.batches == [["e1", "e2", "e3", "e4"], ["e2", "e3"], ["e2"], ["e2"], ["e2"], ["e3", "e4"]]
    [metadata] = sent
    assert metadata == pump.failures[0]
    assert metadata["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert metadata["requestContext"]["functionArn"].endswith(":function:stream_publisher")
    assert metadata["DDBStreamBatchInfo"] == {
        "shardId": "shard-1",
        "startSequenceNumber": seq(2),
        "endSequenceNumber": seq(2),
        "approximateArrivalOfFirstRecord": "2026-11-23T09:00:00Z",
        "approximateArrivalOfLastRecord": "2026-11-23T09:00:00Z",
        "batchSize": 1,
        "streamArn": ARN,
    }


def test_an_identifier_not_in_the_batch_fails_the_whole_batch() -> None:
    consumer = Consumer({"batchItemFailures": [{"itemIdentifier": ""}]})
    pump = stream_pump(FakeStreams(2), consumer)

    pump_until_quiet(pump)

    assert consumer.batches == [["e1", "e2"], ["e1"], ["e2"]]


def test_an_expired_iterator_is_taken_again_from_where_the_consumer_was() -> None:
    streams = FakeStreams(2)
    consumer = Consumer()
    pump = stream_pump(streams, consumer)
    pump.step()
    streams.add(1)
    streams.expire_next = True

    assert pump.step() == 1
    assert consumer.batches == [["e1", "e2"], ["e3"]]


def test_a_restarted_pump_resumes_after_the_last_record_it_finished(tmp_path: Path) -> None:
    streams = FakeStreams(3)
    first = Consumer()
    pump_until_quiet(stream_pump(streams, first, positions=StreamPositions(tmp_path / "positions.json")))
    streams.add(2)

    second = Consumer()
    pump_until_quiet(stream_pump(streams, second, positions=StreamPositions(tmp_path / "positions.json")))

    assert second.delivered() == ["e4", "e5"]


def test_a_kept_table_without_a_saved_position_starts_at_its_newest_record() -> None:
    streams = FakeStreams(3)
    consumer = Consumer()
    pump = stream_pump(streams, consumer, start_at_latest=("codes",))

    assert pump.step() == 0
    streams.add(1)
    pump_until_quiet(pump)

    assert consumer.delivered() == ["e4"]
