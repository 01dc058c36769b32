"""Codes integration fixtures: each function's handler on its sample event, under moto."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.codes.codec import QrKeys, sign
from earnloop.local.samples import load
from earnloop.platform import aws

from tests.support.lambdas import HttpAnswer, all_items, call_http, invoke, stored

if TYPE_CHECKING:
    from collections.abc import Iterator

BATCH_BODY = load("apigw/code_batches_create.json")["body"]


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

    def sqs(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        return invoke(name, event)  # type: ignore[no-any-return]

    def admin(self, name: str, **event: Any) -> HttpAnswer:
        return call_http(name, token=self.cloud.token("admin-1", "admin"), **event)

    def as_user(self, user: str, name: str, **event: Any) -> HttpAnswer:
        return call_http(name, token=self.cloud.token(user), **event)

    def create_batch(self, **overrides: Any) -> dict[str, Any]:
        # The sample's window is left out unless asked for: tests must not depend on today's date.
        body = {**json.loads(BATCH_BODY), "valid_from": None, "valid_until": None, **overrides}
        body = {key: value for key, value in body.items() if value is not None}
        answer = self.admin("code_batches_create", body=body)
        assert answer.status == 201, answer.body
        return answer.json  # type: ignore[no-any-return]

    def scan(self, user: str, code: str) -> HttpAnswer:
        return self.as_user(user, "scans_create", body={"code": code})

    @property
    def keys(self) -> QrKeys:
        return QrKeys.from_secret(self.cloud.secret_values["qr_keys"])

    def code(self, batch_id: str, serial: int) -> str:
        return sign(self.keys, batch_id, serial)

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        return stored(self.cloud.settings.table_name("codes"), {"pk": pk, "sk": sk})

    def items(self) -> list[dict[str, Any]]:
        return all_items(self.cloud.settings.table_name("codes"))


@pytest.fixture
def codes(moto_cloud: Any) -> Codes:
    return Codes(moto_cloud)


@pytest.fixture
def dynamo_calls(moto_cloud: Any) -> Iterator[DynamoCalls]:
    calls = DynamoCalls()
    events = aws.dynamodb().meta.events
    events.register("before-call.dynamodb", calls)
    yield calls
    events.unregister("before-call.dynamodb", calls)
