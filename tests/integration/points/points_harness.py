"""Helpers for the points functions under moto: handlers by name, SQS deliveries, the stream pump."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from earnloop.local.samples import http_event, load
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.publisher import publish

ROOT = Path(__file__).resolve().parents[3]


@cache
def handler(name: str) -> Any:
    """`functions/<name>/handler.py`'s lambda_handler, loaded as Lambda would."""
    spec = importlib.util.spec_from_file_location(f"{name}_handler", ROOT / "functions" / name / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def http_call(name: str, event: dict[str, Any], context: Any) -> tuple[int, dict[str, str], Any]:
    """Status, headers and JSON body of an HTTP function's answer (a base64 body decoded, as API
    Gateway does for the client)."""
    response = handler(name)(event, context)
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return response["statusCode"], response["headers"], json.loads(raw) if raw else None


def admin_call(
    name: str, context: Any, headers: dict[str, str] | None, user_id: str = "u1", body: object = None
) -> tuple[int, dict[str, str], Any]:
    """An admin users route (`admin_users_freeze`/`_unfreeze`) on its sample, for `user_id`."""
    token = headers["Authorization"].removeprefix("Bearer ") if headers else None
    event = http_event(f"apigw/{name}.json", token=token, body=body, path_parameters={"user_id": user_id})
    return http_call(name, event, context)


def stored(table: str, key: dict[str, str]) -> dict[str, Any] | None:
    """An item as stored (plain values), or None."""
    found = aws.dynamodb().get_item(TableName=table, Key=marshal(key)).get("Item")
    return unmarshal(found) if found else None


def sqs_event(*bodies: dict[str, Any]) -> dict[str, Any]:
    """The points_earn sample, one record per EventBridge event body."""
    sample = load("sqs/points_earn.json")
    template = sample["Records"][0]
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(body)
        records.append(record)
    return {"Records": records}


def sample_body() -> dict[str, Any]:
    return json.loads(load("sqs/points_earn.json")["Records"][0]["body"])  # type: ignore[no-any-return]


def drain(url: str) -> list[dict[str, Any]]:
    """Every message on a queue (deleted), as EventBridge bodies with `account` as AWS sends it
    (moto's EventBridge leaves it out)."""
    sqs = aws.client("sqs")
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            body = json.loads(message["Body"])
            body.setdefault("account", "123456789012")
            bodies.append(body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def pump_points_stream(stream_arn: str) -> None:
    """Hands every record of the points table's stream to the publisher, as Lambda would."""
    streams = aws.client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in response["Records"]:
            record["eventSourceARN"] = stream_arn
            record["dynamodb"].pop("ApproximateCreationDateTime", None)
            records.append(record)
    assert publish(records) == {"batchItemFailures": []}
