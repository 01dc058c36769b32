"""Risk counters, kept in the table of the command they guard (the scan's in `codes`).

One item per (action, subject): `RISK#<action>#<kind>#<value>`/`RISK`, attributes `b<bucket>` =
attempts in that bucket, `expires_at` (TTL). An attempt reads its subjects' items once (closed
buckets no longer change, so that read cannot race) and its write adds one to the current bucket
under the condition that it holds fewer than the allowance: inside the command's own transaction
when the attempt succeeds, alone when it is rejected. A rule evaluation never scans or queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, unmarshal
from earnloop.platform.errors import RateLimitedError
from earnloop.risk.farming import DEVICE_ACCOUNTS_ENTITY, device_accounts_key, device_day
from earnloop.risk.windows import Allowance, Gate, SlidingWindow, Subject, allowance, used

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

RISK_ENTITY = "RiskCounter"


def device_accounts_actions(
    table: str, gate: Gate, user_id: str, now: datetime, threshold: int
) -> list[TxAction]:
    """Adds `user_id` to the day's accounts of the attempt's device (none without a device id):
    unconditional, in the command's transaction; the stream flags a device past `threshold`."""
    devices = [each.subject.value for each in gate.allowances if each.subject.kind == "device"]
    actions = []
    for device in devices:
        day, expires_at = device_day(now)
        update = {
            "TableName": table,
            "Key": marshal(device_accounts_key(device, day)),
            "UpdateExpression": (
                "ADD #users :user SET entity = :entity, device_id = :device, #day = :day, "
                "threshold = :threshold, last_at = :at, expires_at = :exp"
            ),
            "ExpressionAttributeNames": {"#users": "users", "#day": "day"},
            "ExpressionAttributeValues": marshal(
                {
                    ":user": {user_id},
                    ":entity": DEVICE_ACCOUNTS_ENTITY,
                    ":device": device,
                    ":day": day,
                    ":threshold": threshold,
                    ":at": iso(now),
                    ":exp": expires_at,
                }
            ),
        }
        actions.append(TxAction({"Update": update}))
    return actions


def counter_key(action: str, subject: Subject) -> dict[str, str]:
    return {"pk": f"RISK#{action}#{subject.kind}#{subject.value}", "sk": "RISK"}


def limited(action: str, allowance: Allowance) -> RateLimitedError:
    return RateLimitedError(
        allowance.retry_after_s, f"too many {action} attempts from this {allowance.subject.kind}, retry later"
    )


def count_actions(table: str, gate: Gate) -> list[TxAction]:
    """The counting of one attempt as transaction actions (added to the command's transaction)."""
    return [
        TxAction({"Update": update}, on_condition_failed=_refusal(gate.action, each))
        for update, each in _updates(table, gate)
    ]


def _refusal(action: str, each: Allowance) -> Callable[[Mapping[str, Any]], Exception]:
    return lambda _: limited(action, each)


def _updates(table: str, gate: Gate) -> list[tuple[dict[str, Any], Allowance]]:
    """One conditional update per subject: adds the attempt to its current bucket, drops buckets no
    window will count again, and pushes the TTL on."""
    updates = []
    for each in gate.allowances:
        stale = list(gate.window.stale(each.bucket))
        names = {"#b": f"b{each.bucket}", **{f"#s{i}": f"b{index}" for i, index in enumerate(stale)}}
        removes = ", ".join(f"#s{i}" for i in range(len(stale)))
        update = {
            "TableName": table,
            "Key": marshal(counter_key(gate.action, each.subject)),
            "UpdateExpression": (
                f"ADD #b :one SET entity = :entity, #kind = :kind, expires_at = :exp REMOVE {removes}"
            ),
            "ConditionExpression": "attribute_not_exists(#b) OR #b < :allowed",
            "ExpressionAttributeNames": {**names, "#kind": "kind"},
            "ExpressionAttributeValues": marshal(
                {
                    ":one": 1,
                    ":allowed": each.allowed,
                    ":entity": RISK_ENTITY,
                    ":kind": each.subject.kind,
                    ":exp": each.expires_at,
                }
            ),
        }
        updates.append((update, each))
    return updates


class RiskCounters:
    def __init__(self, ddb: DynamoDBClient, table: str, window: SlidingWindow | None = None) -> None:
        self._ddb = ddb
        self._table = table
        self._window = window or SlidingWindow()

    def open(self, action: str, subjects: Sequence[Subject], now: datetime) -> Gate:
        """The gate of one attempt: its subjects' counters read in one BatchGetItem.

        Raises:
            RateLimitedError: a subject has used its limit already (refused without a write).
        """
        counts = self._read(action, subjects)
        allowances = []
        for subject in subjects:
            held = counts.get(counter_key(action, subject)["pk"], {})
            each = allowance(subject, self._window, held, now)
            if used(held, self._window, now) >= subject.limit:
                raise limited(action, each)
            allowances.append(each)
        return Gate(action, self._window, tuple(allowances))

    def count(self, gate: Gate) -> None:
        """Counts a rejected attempt: one conditional UpdateItem per subject, not a transaction (a
        rejection needs no atomicity, and a shared IP's counter must not conflict across callers).

        Raises:
            RateLimitedError: this attempt is over a subject's limit (counted against the subjects
                before it only).
        """
        for update, each in _updates(self._table, gate):
            try:
                self._ddb.update_item(**update)
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                raise limited(gate.action, each) from error

    def _read(self, action: str, subjects: Sequence[Subject]) -> dict[str, dict[int, int]]:
        keys = [marshal(counter_key(action, subject)) for subject in subjects]
        # Eventually consistent is enough: the closed buckets are settled, and the current one is
        # enforced by the write's condition, not by this read.
        response = self._ddb.batch_get_item(RequestItems={self._table: {"Keys": keys}})
        found: dict[str, dict[int, int]] = {}
        for item in response.get("Responses", {}).get(self._table, []):
            plain = unmarshal(item)
            found[str(plain["pk"])] = _buckets(plain)
        return found


def _buckets(item: dict[str, Any]) -> dict[int, int]:
    return {
        int(name[1:]): int(value) for name, value in item.items() if name[:1] == "b" and name[1:].isdigit()
    }
