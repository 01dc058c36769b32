"""One DynamoDB stream record (Lambda's event shape) read as a `Change`, whatever shape it comes in.

Shapes a record can take, all seen or documented:
- an image attribute that is an empty map: `{"M": {}}` from DynamoDB and moto, but `{}` with no type
  descriptor from DynamoDB Local (an account's expiry buckets after a freeze);
- no `NewImage` (REMOVE), no `OldImage` (INSERT), neither (a KEYS_ONLY stream view);
- an attribute missing from an image (items written before the attribute existed): the derivers
  read images with `.get`;
- a record from a table the publisher does not know (another stack's table on a shared stream).
Anything else malformed raises `MalformedRecordError`, which fails that record alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from earnloop.platform.clock import iso, utcnow
from earnloop.platform.dynamo import unmarshal
from earnloop.platform.events import Change

if TYPE_CHECKING:
    from collections.abc import Iterable

    from earnloop.platform.dynamo import Item
    from earnloop.platform.settings import Settings

_KINDS = ("INSERT", "MODIFY", "REMOVE")
_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


class MalformedRecordError(ValueError):
    """A stream record that no reading can make sense of."""


@dataclass(frozen=True)
class StreamChange:
    """A record's change, with the id and commit time its events carry."""

    change: Change
    record_id: str
    occurred_at: str


def table_of(stream_arn: str, tables: Iterable[str], settings: Settings) -> str | None:
    """The logical name, among `tables`, of the table a stream ARN (`...:table/<physical>/stream/<label>`)
    belongs to."""
    try:
        physical = stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]
    except IndexError:
        return None
    for table in tables:
        if settings.table_name(table) == physical:
            return table
    return None


def attribute_value(value: Any) -> dict[str, Any]:
    """One attribute value in DynamoDB's typed form, an empty map written `{}` made `{"M": {}}`,
    at any depth.

    Raises:
        MalformedRecordError: not a typed attribute value.
    """
    if not isinstance(value, Mapping):
        raise MalformedRecordError(f"not an attribute value: {value!r}")
    if not value:
        return {"M": {}}
    if len(value) != 1 or next(iter(value)) not in _TYPES:
        raise MalformedRecordError(f"not an attribute value: {sorted(value)}")
    kind, inner = next(iter(value.items()))
    if kind == "M":
        return {"M": image_attributes(inner)}
    if kind == "L":
        if not isinstance(inner, list):
            raise MalformedRecordError("a list attribute that is not a list")
        return {"L": [attribute_value(v) for v in inner]}
    if kind == "N" and not _is_number(inner):
        raise MalformedRecordError(f"not a number: {inner!r}")
    return {kind: inner}


def _is_number(text: Any) -> bool:
    # boto3's deserializer turns some non-numbers into NaN instead of failing; DynamoDB has no NaN.
    try:
        return isinstance(text, str) and Decimal(text).is_finite()
    except InvalidOperation:
        return False


def image_attributes(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise MalformedRecordError("an image that is not a map")
    return {str(name): attribute_value(value) for name, value in raw.items()}


def image(data: Mapping[str, Any], name: str) -> Item | None:
    """`NewImage`/`OldImage` as plain Python, or None when the record has none."""
    raw = data.get(name)
    if raw is None:
        return None
    attributes = image_attributes(raw)
    try:
        return unmarshal(attributes)
    except (TypeError, ValueError, ArithmeticError) as error:
        # boto3's TypeDeserializer: a number that is not one, a set of the wrong kind, ...
        raise MalformedRecordError(f"{name}: {error}") from error


def _occurred_at(epoch: Any) -> str:
    """The commit time Lambda gives (epoch seconds), or now when a record lacks it."""
    if isinstance(epoch, int | float) and not isinstance(epoch, bool):
        return iso(datetime.fromtimestamp(epoch, tz=UTC))
    return iso(utcnow())


def parse(record: Mapping[str, Any], tables: Iterable[str], settings: Settings) -> StreamChange | None:
    """The record's change, or None when it comes from a table not among `tables`.

    Raises:
        MalformedRecordError: no event name, no `dynamodb` section, or an image that cannot be read.
    """
    table = table_of(str(record.get("eventSourceARN", "")), tables, settings)
    if table is None:
        return None
    kind = record.get("eventName")
    data = record.get("dynamodb")
    if kind not in _KINDS or not isinstance(data, Mapping):
        raise MalformedRecordError(f"event {kind!r} without a readable dynamodb section")
    change = Change(
        table=table,
        kind=cast("Any", kind),
        old=image(data, "OldImage"),
        new=image(data, "NewImage"),
    )
    record_id = str(record.get("eventID") or data.get("SequenceNumber"))
    return StreamChange(change, record_id, _occurred_at(data.get("ApproximateCreationDateTime")))
