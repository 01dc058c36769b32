"""Keys and writes of the likes an author is owed points for (`like_received`), in the points table.

Items (docs/decisions.md, "Likes"):
- `LIKEPAID#<post>#<liker>` / `GUARD` (entity LikePayGuard): this (post, liker) was counted for the
  author once and for all; kept forever (a few dozen bytes), so an unlike/like cycle, a redelivery or a
  sweep's republish never counts it again;
- `LIKEPAY#<minute>#<shard>` / `<author>#<post>#<liker>` (entity LikePay): one like owed to `author`,
  recorded in the minute the worker saw it (`YYYY-MM-DDTHH:MM`, UTC), in one of `PAY_SHARDS`
  partitions by a hash of (post, liker); kept two days (TTL);
- `LIKEPAY` / `CURSOR` (entity LikePayCursor): the last minute paid out.

The guard and the pending item are one transaction. The minute flush (`points/like_pay.py`) reads a
minute's shards once it is closed and credits each author once for it.
"""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, transact, unmarshal
from earnloop.platform.settings import get_settings
from earnloop.points.store import cap_key

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from mypy_boto3_dynamodb import DynamoDBClient

# Partitions per minute that a crowd's likes are recorded in (docs/decisions.md, "Likes").
PAY_SHARDS = 16
PENDING_TTL = timedelta(days=2)


def minute_of(moment: datetime) -> str:
    """The UTC minute of a moment, as the flush names it (`2026-12-02T09:05`)."""
    return iso(moment)[:16]


def pay_shard(post_id: str, liker_id: str) -> int:
    return zlib.crc32(f"{post_id}#{liker_id}".encode()) % PAY_SHARDS


def guard_key(post_id: str, liker_id: str) -> dict[str, str]:
    return {"pk": f"LIKEPAID#{post_id}#{liker_id}", "sk": "GUARD"}


def pending_partition(minute: str, shard: int) -> str:
    return f"LIKEPAY#{minute}#{shard}"


def pending_key(minute: str, author_id: str, post_id: str, liker_id: str) -> dict[str, str]:
    return {
        "pk": pending_partition(minute, pay_shard(post_id, liker_id)),
        "sk": f"{author_id}#{post_id}#{liker_id}",
    }


# The last minute paid out: one small item, written once a minute by the one scheduled run.
CURSOR_KEY = {"pk": "LIKEPAY", "sk": "CURSOR"}


class _Counted(Exception):
    """This (post, liker) was counted for the author before."""


def _counted(_: Mapping[str, Any]) -> Exception:
    return _Counted()


class LikePayStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @classmethod
    def default(cls) -> LikePayStore:
        return cls(aws.dynamodb(), get_settings().table_name("points"))

    def record(self, author_id: str, post_id: str, liker_id: str, now: datetime) -> bool:
        """Records one like owed to the author in `now`'s minute, unless this (post, liker) was
        counted before. Returns whether it was recorded now.

        Raises:
            TransactionConflictError: a concurrent delivery of the same like; SQS retries it.
        """
        expires = int((now + PENDING_TTL).timestamp())
        guard = {
            **guard_key(post_id, liker_id),
            "entity": "LikePayGuard",
            "author_id": author_id,
            "at": iso(now),
        }
        pending = {
            **pending_key(minute_of(now), author_id, post_id, liker_id),
            "entity": "LikePay",
            "author_id": author_id,
            "post_id": post_id,
            "liker_id": liker_id,
            "expires_at": expires,
        }
        try:
            transact(
                self._ddb,
                [
                    TxAction(
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": marshal(guard),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        on_condition_failed=_counted,
                    ),
                    TxAction({"Put": {"TableName": self._table, "Item": marshal(pending)}}),
                ],
            )
        except _Counted:
            return False
        return True

    def owed(self, minute: str) -> Counter[str]:
        """Likes owed per author in a closed minute: one Query per shard (paged), never a Scan."""
        owed: Counter[str] = Counter()
        for shard in range(PAY_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": marshal({":pk": pending_partition(minute, shard)}),
                "ProjectionExpression": "author_id",
            }
            while True:
                page = self._ddb.query(**kwargs)
                owed.update(str(unmarshal(i)["author_id"]) for i in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return owed

    def paid_through(self) -> str | None:
        """The last minute paid out (every earlier one was too), or None before the first run."""
        item = self._ddb.get_item(TableName=self._table, Key=marshal(CURSOR_KEY), ConsistentRead=True)
        return str(unmarshal(item["Item"])["minute"]) if "Item" in item else None

    def mark_paid(self, minute: str, previous: str | None, now: datetime) -> bool:
        """Moves the cursor from `previous` to `minute`; False when another run moved it first."""
        item = {**CURSOR_KEY, "entity": "LikePayCursor", "minute": minute, "paid_at": iso(now)}
        condition = "attribute_not_exists(pk)" if previous is None else "#minute = :previous"
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Item": marshal(item),
            "ConditionExpression": condition,
        }
        if previous is not None:
            kwargs["ExpressionAttributeNames"] = {"#minute": "minute"}
            kwargs["ExpressionAttributeValues"] = marshal({":previous": previous})
        try:
            self._ddb.put_item(**kwargs)
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def cap_used(self, user_id: str, rule: str, day: date) -> int:
        """Points of `rule` counted against the user's cap on `day` (strongly consistent)."""
        item = self._ddb.get_item(
            TableName=self._table, Key=marshal(cap_key(user_id, rule, day)), ConsistentRead=True
        )
        return int(unmarshal(item["Item"]).get("n", 0)) if "Item" in item else 0
