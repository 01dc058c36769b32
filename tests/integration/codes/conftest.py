"""Codes integration fixtures: each function's handler on its sample event, under moto."""

from __future__ import annotations

import base64
import importlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.codes.codec import QrKeys, sign
from earnloop.local.samples import http_event, load
from earnloop.platform import aws
from earnloop.platform.dynamo import unmarshal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Response = dict[str, Any]
BATCH_BODY = load("apigw/code_batches_create.json")["body"]


def handler(name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return importlib.import_module(f"functions.{name}.handler").lambda_handler  # type: ignore[no-any-return]


@dataclass
class DynamoCalls:
    """Every DynamoDB operation the functions make, recorded through botocore's own event hooks."""

    operations: list[str] = field(default_factory=list)

    def __call__(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    @property
    def writes(self) -> list[str]:
        return [
            op
            for op in self.operations
            if op in {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
        ]


@dataclass
class Codes:
    """Calls the codes functions as API Gateway and SQS would, and reads the codes table."""

    cloud: Any
    context: Any

    def http(self, name: str, token: str | None = None, **event: Any) -> Response:
        response = handler(name)(http_event(f"apigw/{name}.json", token=token, **event), self.context)
        body = response.get("body") or ""
        if response.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        response["body"] = body
        content_type = response.get("headers", {}).get("content-type", "")
        response["json"] = json.loads(body) if body and "json" in content_type else None
        return response

    def sqs(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        return handler(name)(event, self.context)

    def admin(self, name: str, **event: Any) -> Response:
        return self.http(name, token=self.cloud.token("admin-1", "admin"), **event)

    def as_user(self, user: str, name: str, **event: Any) -> Response:
        return self.http(name, token=self.cloud.token(user), **event)

    def create_batch(self, **overrides: Any) -> dict[str, Any]:
        # The sample's window is left out unless asked for: tests must not depend on today's date.
        body = {**json.loads(BATCH_BODY), "valid_from": None, "valid_until": None, **overrides}
        body = {key: value for key, value in body.items() if value is not None}
        response = self.admin("code_batches_create", body=body)
        assert response["statusCode"] == 201, response["body"]
        return response["json"]  # type: ignore[no-any-return]

    def scan(self, user: str, code: str) -> Response:
        return self.as_user(user, "scans_create", body={"code": code})

    @property
    def keys(self) -> QrKeys:
        return QrKeys.from_secret(self.cloud.secret_values["qr_keys"])

    def code(self, batch_id: str, serial: int) -> str:
        return sign(self.keys, batch_id, serial)

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = aws.dynamodb().get_item(
            TableName=self.cloud.settings.codes_table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        return unmarshal(found["Item"]) if "Item" in found else None

    def items(self) -> list[dict[str, Any]]:
        # Fine in a test on a table of a few items; never on a request path.
        found = aws.dynamodb().scan(TableName=self.cloud.settings.codes_table)
        return [unmarshal(item) for item in found["Items"]]


@pytest.fixture
def codes(moto_cloud: Any, lambda_context: Any) -> Codes:
    return Codes(moto_cloud, lambda_context)


@pytest.fixture
def dynamo_calls(moto_cloud: Any) -> Iterator[DynamoCalls]:
    calls = DynamoCalls()
    events = aws.dynamodb().meta.events
    events.register("before-call.dynamodb", calls)
    yield calls
    events.unregister("before-call.dynamodb", calls)


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response["statusCode"] == status, response["body"]
    assert response["headers"]["content-type"] == "application/problem+json"
    problem = json.loads(response["body"])
    assert problem["code"] == code and problem["status"] == status
    return problem  # type: ignore[no-any-return]


@pytest.fixture
def problem() -> Callable[[Response, int, str], dict[str, Any]]:
    return assert_problem
