"""Reading a stream record as a change, for every shape an image can take: DynamoDB Local's untyped
empty map, missing images and attributes, unknown tables, and records nothing can read."""

from __future__ import annotations

from typing import Any

import pytest
from earnloop.platform.settings import Settings
from earnloop.platform.stream_records import MalformedRecordError, attribute_value, parse

SETTINGS = Settings()
TABLES = ("identity", "points", "codes")
ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/earnloop-local-points/stream/2026-12-02T12:11:04.637"


def record(data: dict[str, Any], kind: str = "MODIFY", arn: str = ARN) -> dict[str, Any]:
    return {
        "eventID": "e1",
        "eventName": kind,
        "eventSourceARN": arn,
        "dynamodb": {"ApproximateCreationDateTime": 1796213464, "SequenceNumber": "1", **data},
    }


ACCOUNT_KEYS = {"pk": {"S": "ACCT#u1"}, "sk": {"S": "ACCOUNT"}}


@pytest.mark.parametrize(
    ("buckets", "style"),
    [({"M": {}}, "DynamoDB and moto"), ({}, "DynamoDB Local, no type descriptor")],
)
def test_an_account_whose_bucket_map_is_empty_reads_as_an_empty_map(buckets: Any, style: str) -> None:
    image = {**ACCOUNT_KEYS, "entity": {"S": "Account"}, "status": {"S": "frozen"}, "buckets": buckets}

    parsed = parse(
        record({"NewImage": image, "OldImage": {**image, "status": {"S": "active"}}}), TABLES, SETTINGS
    )

    assert parsed is not None
    assert parsed.change.new == {
        "pk": "ACCT#u1",
        "sk": "ACCOUNT",
        "entity": "Account",
        "status": "frozen",
        "buckets": {},
    }
    assert parsed.change.old is not None and parsed.change.old["buckets"] == {}


def test_empty_maps_nested_in_maps_and_lists_read_too() -> None:
    value = {"M": {"inner": {}, "list": {"L": [{}, {"N": "3"}, {"M": {"deeper": {}}}]}}}

    assert attribute_value(value) == {
        "M": {"inner": {"M": {}}, "list": {"L": [{"M": {}}, {"N": "3"}, {"M": {"deeper": {"M": {}}}}]}}
    }


@pytest.mark.parametrize(
    ("kind", "data", "old", "new"),
    [
        ("INSERT", {"NewImage": ACCOUNT_KEYS}, None, {"pk": "ACCT#u1", "sk": "ACCOUNT"}),
        ("REMOVE", {"OldImage": ACCOUNT_KEYS}, {"pk": "ACCT#u1", "sk": "ACCOUNT"}, None),
        ("MODIFY", {"Keys": ACCOUNT_KEYS}, None, None),  # a KEYS_ONLY view
    ],
)
def test_missing_images_are_none(kind: str, data: dict[str, Any], old: Any, new: Any) -> None:
    parsed = parse(record(data, kind), TABLES, SETTINGS)

    assert parsed is not None
    assert (parsed.change.kind, parsed.change.old, parsed.change.new) == (kind, old, new)


def test_a_record_of_a_table_it_does_not_know_is_none() -> None:
    other = ARN.replace("earnloop-local-points", "someone-elses-table")

    assert parse(record({"NewImage": ACCOUNT_KEYS}, arn=other), TABLES, SETTINGS) is None
    assert parse(record({"NewImage": ACCOUNT_KEYS}, arn=""), TABLES, SETTINGS) is None


def test_the_commit_time_and_id_come_from_the_record() -> None:
    parsed = parse(record({"NewImage": ACCOUNT_KEYS}), TABLES, SETTINGS)

    assert parsed is not None
    assert (parsed.record_id, parsed.occurred_at) == ("e1", "2026-12-02T12:11:04.000Z")


@pytest.mark.parametrize(
    "broken",
    [
        {"eventName": "UPSERT"},
        {"dynamodb": "not a section"},
        {"dynamodb": {"NewImage": {"pk": {"S": "x", "N": "1"}}}},
        {"dynamodb": {"NewImage": {"pk": {"X": "x"}}}},
        {"dynamodb": {"NewImage": {"pk": "untyped"}}},
        {"dynamodb": {"NewImage": {"n": {"N": "not a number"}}}},
        {"dynamodb": {"NewImage": {"l": {"L": "not a list"}}}},
        {"dynamodb": {"NewImage": ["not", "a", "map"]}},
    ],
)
def test_a_record_nothing_can_read_is_malformed(broken: dict[str, Any]) -> None:
    with pytest.raises(MalformedRecordError):
        parse({**record({}), **broken}, TABLES, SETTINGS)
