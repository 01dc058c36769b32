"""Each function's `lambda_handler` called on its sample event from `events/`, as Lambda calls it, and
the event plumbing Lambda provides around it under moto: SQS deliveries, queue reads, stream records.

The handlers come from `earnloop.local.lambdas` (the deployed `functions/<name>/handler.py` files, one
import per process, like a warm container) and the AWS shapes from `earnloop.local.shapes`, so the
tests, the local cloud and `earnloop invoke` run the same entry points on the same event shapes.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

from earnloop.local import lambdas, shapes
from earnloop.local.samples import http_event, load
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.settings import get_settings


def invoke(name: str, event: dict[str, Any]) -> Any:
    """What `functions/<name>/handler.py` returns for `event`, with a Lambda context for `name`."""
    return lambdas.invoke(name, event, get_settings().region)


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP function's answer as the client reads it."""

    status: int
    headers: dict[str, str]
    body: str
    # The parsed body when its content type is JSON (application/json, application/problem+json).
    json: Any


def http_answer(response: dict[str, Any]) -> HttpAnswer:
    # `platform.http` lists every text type we serve in Mangum's text_mime_types; a base64 body
    # means one was left out, and API clients would get bytes they do not expect.
    assert not response.get("isBase64Encoded"), f"a base64 body: {response.get('headers')}"
    headers = dict(response.get("headers") or {})
    body = response.get("body") or ""
    parsed = json.loads(body) if body and "json" in headers.get("content-type", "") else None
    return HttpAnswer(response["statusCode"], headers, body, parsed)


def call_http(name: str, *, token: str | None = None, **event: Any) -> HttpAnswer:
    """`events/apigw/<name>.json` with the caller's token and `event` (`body`, `path_parameters`,
    `query`, `headers`: see `local.samples.http_event`), sent to the function."""
    return http_answer(invoke(name, http_event(f"apigw/{name}.json", token=token, **event)))


def assert_problem(answer: HttpAnswer, status: int, code: str) -> dict[str, Any]:
    """Asserts an RFC 9457 problem with this status and API code; returns the problem."""
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json
    assert problem["code"] == code and problem["status"] == status
    return problem


def sample_body(sample: str) -> dict[str, Any]:
    """The EventBridge event carried by the first record of an SQS sample (`sqs/<name>.json`)."""
    return json.loads(load(sample)["Records"][0]["body"])  # type: ignore[no-any-return]


def sqs_event(sample: str, *bodies: dict[str, Any]) -> dict[str, Any]:
    """The SQS sample with one record per body, each a new message."""
    template = load(sample)["Records"][0]
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(body)
        records.append(record)
    return {"Records": records}


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Every message on a queue, deleted, as the EventBridge events AWS would have delivered (moto's
    messages lack `account`)."""
    sqs = aws.client("sqs")
    region = get_settings().region
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(shapes.normalise_body(message["Body"], region)))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def pump_stream(stream_arn: str) -> None:
    """Hands every record of a table's stream, from its first, to the stream publisher in one
    batch, as Lambda's event source mapping would (redelivering what an earlier pump handed over is
    at-least-once delivery, which every consumer tolerates)."""
    streams = aws.client("dynamodbstreams")
    region = get_settings().region
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page["Records"]:
                break
            records.extend(shapes.stream_record(r, stream_arn, region) for r in page["Records"])
            iterator = page.get("NextShardIterator")
    assert invoke("stream_publisher", {"Records": records}) == {"batchItemFailures": []}


def stored(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item at `key` of the table with this physical name, as plain values, or None."""
    found = aws.dynamodb().get_item(TableName=table, Key=marshal(key), ConsistentRead=True)
    return unmarshal(found["Item"]) if "Item" in found else None


def all_items(table: str) -> list[dict[str, Any]]:
    # A look at a whole tiny, fresh moto table; never on a request path.
    return [unmarshal(item) for item in aws.dynamodb().scan(TableName=table)["Items"]]
