"""DynamoDB helpers every store uses: marshalling, one-transaction commits with error translation,
and opaque page cursors. Stores build keys and expressions; this module knows none of them."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from earnloop.platform.errors import ConcurrencyError, ValidationFailedError

if TYPE_CHECKING:
    import re

    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


def marshal(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB attribute values (None values are dropped, not stored as NULL)."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def unmarshal(item: Mapping[str, Any]) -> Item:
    """DynamoDB attribute values -> plain Python (integral numbers become int)."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


OnFail = Callable[[Mapping[str, Any]], Exception | None]
"""Given the cancellation reason of one action, the error to raise, or None to ignore that failure."""


@dataclass(frozen=True)
class TxAction:
    """One action of a TransactWriteItems call, with what its failed condition means."""

    action: dict[str, Any]
    on_condition_failed: OnFail | None = None


class TransactionConflictError(ConcurrencyError):
    """Another transaction touched one of our items at the same moment; safe to retry."""


def is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def transact(ddb: DynamoDBClient, actions: Sequence[TxAction], token: str | None = None) -> None:
    """Commits every action or none.

    A cancelled transaction is translated here, once: the first action whose condition failed
    decides the error (its `on_condition_failed`), a conflict with another transaction raises
    `TransactionConflictError`, anything else propagates as the ClientError it is.

    Raises:
        EarnloopError: whatever an action's `on_condition_failed` returns.
        TransactionConflictError: a concurrent transaction touched the same items.
    """
    kwargs: dict[str, Any] = {"TransactItems": [a.action for a in actions]}
    if token:
        kwargs["ClientRequestToken"] = token
    try:
        ddb.transact_write_items(**kwargs)
    except ClientError as error:
        raise translate_cancellation(error, actions) from error


def translate_cancellation(error: ClientError, actions: Sequence[TxAction]) -> Exception:
    code = error.response.get("Error", {}).get("Code")
    if code == "TransactionConflictException":
        return TransactionConflictError()
    if code != "TransactionCanceledException":
        return error
    reasons = cancellation_reasons(error)
    for action, reason in zip(actions, reasons, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed":
            if action.on_condition_failed is None:
                return error
            translated = action.on_condition_failed(reason)
            if translated is not None:
                return translated
    if any(r.get("Code") == "TransactionConflict" for r in reasons):
        return TransactionConflictError()
    return error


def cancellation_reasons(error: ClientError) -> list[Mapping[str, Any]]:
    """The per-action reasons of a cancelled transaction.

    botocore exposes them as `CancellationReasons`; DynamoDB Local and some SDK paths only put them
    in the message ("... reasons [ConditionalCheckFailed, None]"), so both are read.
    """
    reasons = error.response.get("CancellationReasons")
    if reasons:
        return list(reasons)
    message = error.response.get("Error", {}).get("Message", "")
    start, end = message.find("["), message.rfind("]")
    if start < 0 or end < start:
        return []
    return [{"Code": part.strip()} for part in message[start + 1 : end].split(",")]


# DynamoDB's limit on a sort key value; a cursor value beyond it cannot be one of ours.
MAX_CURSOR_VALUE_BYTES = 1024


def encode_cursor(last_key: Mapping[str, Any] | None, drop: Sequence[str] = ()) -> str | None:
    """An opaque cursor from LastEvaluatedKey, leaving out the attributes the caller fixes itself
    (the partition key), so a cursor can never move a query to another user's partition."""
    if not last_key:
        return None
    kept = {k: v for k, v in last_key.items() if k not in drop}
    raw = json.dumps(kept, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, shape: Mapping[str, re.Pattern[str]], fixed: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The ExclusiveStartKey for a cursor from `encode_cursor`, with the fixed attributes put back.

    A cursor comes back from the client, so it is checked as hostile input: it must hold exactly
    the attributes of `shape`, each a non-empty string (`{"S": ...}`) that its pattern matches in
    full. Anything else (empty or non-string values, numbers, extra or missing attributes, bad
    base64 or JSON) would make DynamoDB refuse the query with a 500, or page from a key we never
    issued.

    Raises:
        ValidationFailedError: the cursor is not one of ours.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.b64decode(padded.encode(), altchars=b"-_", validate=True))
    except (ValueError, binascii.Error, RecursionError) as error:
        raise ValidationFailedError("cursor is malformed") from error
    if not isinstance(decoded, dict) or set(decoded) != set(shape):
        raise ValidationFailedError("cursor is malformed")
    for name, pattern in shape.items():
        value = decoded[name]
        if not (isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str)):
            raise ValidationFailedError("cursor is malformed")
        text = value["S"]
        if not text or len(text.encode()) > MAX_CURSOR_VALUE_BYTES or pattern.fullmatch(text) is None:
            raise ValidationFailedError("cursor is malformed")
    return {**decoded, **(fixed or {})}
