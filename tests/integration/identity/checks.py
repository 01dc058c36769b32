"""Assertions and reads shared by the identity integration tests."""

from __future__ import annotations

from typing import Any

from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.settings import get_settings

Response = dict[str, Any]


def assert_problem(response: Response, status: int, code: str) -> None:
    assert response["statusCode"] == status, response["body"]
    assert response["headers"]["content-type"] == "application/problem+json"
    assert response["json"]["code"] == code and response["json"]["status"] == status


def stored(pk: str, sk: str) -> dict[str, Any] | None:
    item = aws.dynamodb().get_item(
        TableName=get_settings().identity_table, Key=marshal({"pk": pk, "sk": sk}), ConsistentRead=True
    )
    return unmarshal(item["Item"]) if "Item" in item else None


def all_items() -> list[dict[str, Any]]:
    # A test-only look at the whole (tiny, fresh) moto table; no request path ever scans.
    response = aws.dynamodb().scan(TableName=get_settings().identity_table)
    return [unmarshal(item) for item in response["Items"]]
