"""Keys and expressions of lifecycle segments on the identity table.

Attributes on the user item (`USER#<id>` / `PROFILE`): `last_active_at`, `first_scan_at`,
`activity_count`, `points_volume`, `segment`, `segment_since`, `rfm` {r, f, m}, `lc_version` (the
optimistic lock of these), and, unless the user sleeps, the sparse `by_activity` index keys
`act_pk = ACT#<business day>#<shard>`, `act_sk = <segment>#<user id>` (segments_rules.index_entry).

Items:
    USER#<id>    SEEN#act#<kind>#<ref>    entity=ActivitySeen   an activity event was counted (TTL)
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.identity.segments_rules import IndexEntry, Lifecycle, Rfm, Segment, index_shard
from earnloop.identity.store import user_key
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, transact, unmarshal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb import DynamoDBClient

ACTIVITY_INDEX = "by_activity"


class ActivityCountedError(Exception):
    """The activity's guard exists: a redelivery of an event already counted."""


class LifecycleMovedError(Exception):
    """The user's lifecycle attributes changed since they were read (or the user is gone)."""


def activity_partition(day: date, shard: int) -> str:
    return f"ACT#{day.isoformat()}#{shard}"


def activity_guard_key(user_id: str, kind: str, ref: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"SEEN#act#{kind}#{ref}"}


def lifecycle_of(item: Mapping[str, Any]) -> Lifecycle:
    return Lifecycle(
        user_id=str(item["user_id"]),
        created_at=str(item["created_at"]),
        last_active_at=item.get("last_active_at"),
        first_scan_at=item.get("first_scan_at"),
        activity_count=int(item.get("activity_count", 0)),
        points_volume=int(item.get("points_volume", 0)),
        segment=item.get("segment"),
        segment_since=item.get("segment_since"),
        version=int(item.get("lc_version", 0)),
    )


def _counted(_: Mapping[str, Any]) -> Exception:
    return ActivityCountedError()


def _moved(_: Mapping[str, Any]) -> Exception:
    return LifecycleMovedError()


class SegmentsStore:
    def __init__(self, ddb: DynamoDBClient, table: str, shards: int) -> None:
        self._ddb = ddb
        self._table = table
        self._shards = shards

    def lifecycle(self, user_id: str) -> Lifecycle | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(user_key(user_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else lifecycle_of(unmarshal(item))

    def record_activity(
        self,
        before: Lifecycle,
        after: Lifecycle,
        segment: Segment,
        rfm: Rfm,
        entry: IndexEntry | None,
        *,
        kind: str,
        ref: str,
        at: str,
        guard_expires_at: int,
    ) -> None:
        """Puts the activity's guard and the user's new lifecycle in one transaction.

        Raises:
            ActivityCountedError: the activity was counted before (nothing written).
            LifecycleMovedError: the user changed since `before` was read, or is gone.
        """
        guard = {
            **activity_guard_key(after.user_id, kind, ref),
            "entity": "ActivitySeen",
            "user_id": after.user_id,
            "at": at,
            "expires_at": guard_expires_at,
        }
        put = {
            "Put": {
                "TableName": self._table,
                "Item": marshal(guard),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        update = {"Update": self._update(before, after, segment, rfm, entry, at)}
        transact(self._ddb, [TxAction(put, _counted), TxAction(update, _moved)])

    def move(self, state: Lifecycle, segment: Segment, rfm: Rfm, entry: IndexEntry | None, now: str) -> bool:
        """Moves the user to `segment` unless their lifecycle changed since `state` was read (an
        activity meanwhile decided their segment itself). Returns whether it moved them."""
        try:
            self._ddb.update_item(**self._update(state, state, segment, rfm, entry, now))
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def crossing_page(
        self,
        day: date,
        segment: Segment | None,
        shard: int,
        *,
        after: str | None = None,
        limit: int = 100,
    ) -> tuple[list[tuple[str, Lifecycle]], bool]:
        """Up to `limit` users of one index partition (those in `segment`, or all) with their sort
        keys, in sort key order after sort key `after`, and whether more may follow. A key condition, not
        ExclusiveStartKey, carries the cursor: the user it names has usually moved on since."""
        condition = "act_pk = :pk"
        values: dict[str, Any] = {":pk": activity_partition(day, shard)}
        if segment is not None:
            # '$' sorts right after '#': the range is exactly this segment's sort keys.
            condition += " AND act_sk BETWEEN :lo AND :hi"
            values[":lo"], values[":hi"] = after or f"{segment}#", f"{segment}$"
        elif after is not None:
            condition += " AND act_sk > :after"
            values[":after"] = after
        response = self._ddb.query(
            TableName=self._table,
            IndexName=ACTIVITY_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=marshal(values),
            Limit=limit,
        )
        found = [unmarshal(item) for item in response.get("Items", [])]
        users = [(str(item["act_sk"]), lifecycle_of(item)) for item in found if item["act_sk"] != after]
        return users, "LastEvaluatedKey" in response

    def _update(
        self,
        before: Lifecycle,
        after: Lifecycle,
        segment: Segment,
        rfm: Rfm,
        entry: IndexEntry | None,
        at: str,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            ":last": after.last_active_at,
            ":count": after.activity_count,
            ":volume": after.points_volume,
            ":segment": segment,
            # The day a user entered their segment: kept while they stay in it.
            ":since": at if segment != before.segment else (before.segment_since or at),
            ":rfm": rfm.model_dump(),
            ":version": before.version + 1,
        }
        sets = [
            "last_active_at = :last",
            "activity_count = :count",
            "points_volume = :volume",
            "#segment = :segment",
            "segment_since = :since",
            "rfm = :rfm",
            "lc_version = :version",
        ]
        if after.first_scan_at is not None:
            sets.append("first_scan_at = :first_scan")
            values[":first_scan"] = after.first_scan_at
        removes: list[str] = []
        if entry is None:
            removes = ["act_pk", "act_sk"]
        else:
            sets += ["act_pk = :act_pk", "act_sk = :act_sk"]
            values[":act_pk"] = activity_partition(entry.day, index_shard(after.user_id, self._shards))
            values[":act_sk"] = f"{entry.segment}#{after.user_id}"
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        if before.version:
            condition = "lc_version = :expected"
            values[":expected"] = before.version
        else:
            condition = "attribute_exists(pk) AND attribute_not_exists(lc_version)"
        return {
            "TableName": self._table,
            "Key": marshal(user_key(after.user_id)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#segment": "segment"},
            "ExpressionAttributeValues": marshal(values),
        }
