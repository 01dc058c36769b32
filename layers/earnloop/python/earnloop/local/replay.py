"""`earnloop replay-stream [--stage <stage>]`: feeds the stream records the publisher gave up on to
the publisher again.

When the publisher keeps failing on a record, its event source mapping bisects the batch, retries,
and finally sends the failed batch's *position* to the mapping's on-failure destination (an SQS queue,
`earnloop-<stage>-stream-publisher-dlq`): AWS's invocation record, whose `DDBStreamBatchInfo` names
the stream, the shard and the first and last sequence numbers. The records themselves stay in the
stream for 24 hours. This command reads each such message, fetches the records from the shard
(`GetShardIterator` AT_SEQUENCE_NUMBER, then `GetRecords` up to the last sequence number), invokes
the publisher with them in Lambda's event shape, and deletes the message once the publisher reports
no failure. Publishing twice is safe: every consumer is idempotent. A message whose records have
left the stream is kept and reported: those changes need the sweeps (claims) or a manual fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from earnloop.local import shapes
from earnloop.local.stream_pump import failed_ids

PUBLISHER = "stream_publisher"
Invoke = Callable[[dict[str, Any]], Any]


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"replayed {len(self.replayed)} failed batch(es); {len(self.failed)} failed again and "
            f"{len(self.expired)} are no longer in the stream (both kept in the queue)"
        )


def failure_queue(stage: str, function: str = PUBLISHER) -> str:
    """What infra names the on-failure destination of `function`'s stream mappings."""
    return f"earnloop-{stage}-{function.replace('_', '-')}-dlq"


def records_of(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a `DDBStreamBatchInfo` names, read from the stream (empty when they expired).

    Raises:
        ClientError: the shard or stream is unknown, or the records were trimmed.
    """
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    ).get("ShardIterator")
    last = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator and len(found) < int(info["batchSize"]):
        response = streams.get_records(ShardIterator=iterator, Limit=min(1000, int(info["batchSize"])))
        records = response.get("Records", [])
        if not records:
            break
        for record in records:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return found
            found.append(record)
        iterator = response.get("NextShardIterator")
    return found


def replay(sqs: Any, streams: Any, queue_url: str, invoke: Invoke, region: str) -> ReplayReport:
    """Replays every failed batch recorded in the queue at `queue_url` (see the module docstring)."""
    report = ReplayReport()
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=120, WaitTimeSeconds=0
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return report
        for message in fresh:
            seen.add(message["MessageId"])
            info = json.loads(message["Body"])["DDBStreamBatchInfo"]
            label = f"{info['shardId']} {info['startSequenceNumber']}..{info['endSequenceNumber']}"
            try:
                records = records_of(streams, info)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in (
                    "TrimmedDataAccessException",
                    "ResourceNotFoundException",
                ):
                    raise
                records = []
            if not records:
                report.expired.append(label)
                continue
            event = {"Records": [shapes.stream_record(r, info["streamArn"], region) for r in records]}
            if failed_ids(invoke(event)):
                report.failed.append(label)
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.replayed.append(label)


def lambda_invoker(client: Any, function_name: str) -> Invoke:
    """Invokes the deployed publisher synchronously; a function error counts as a failed batch."""

    def invoke(event: dict[str, Any]) -> Any:
        response = client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            return {"batchItemFailures": [{"itemIdentifier": ""}]}
        return payload

    return invoke
