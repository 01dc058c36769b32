"""The only place that builds keys and expressions for media items in the content table.

Items: a media item `MEDIA#<id>`/`MEDIA` (while it waits for an outcome, `sweep_pk`/`sweep_sk`
put it in the sparse index `media_sweep`, due at `sweep_sk`), a WeChat image check's lookup
`TRACE#<trace_id>`/`TRACE` (its verdict carries only the trace id), an upload rate counter
`MEDIARATE#<user>#<YYYYMMDDHH>`/`RATE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.content.media_models import Media
from earnloop.content.media_rules import ABANDONED_AFTER, VERDICT_WAIT, sweep_partition
from earnloop.platform import aws
from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, transact, unmarshal
from earnloop.platform.errors import RateLimitedError
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MEDIA_ENTITY = "Media"
TRACE_ENTITY = "MediaTrace"
RATE_ENTITY = "MediaRate"
# A trace lookup outlives WeChat's 30-minute answer window by far, then goes (TTL).
TRACE_TTL = timedelta(days=2)


def media_key(media_id: str) -> dict[str, str]:
    return {"pk": f"MEDIA#{media_id}", "sk": "MEDIA"}


def trace_key(trace_id: str) -> dict[str, str]:
    return {"pk": f"TRACE#{trace_id}", "sk": "TRACE"}


def rate_key(user_id: str, hour: str) -> dict[str, str]:
    return {"pk": f"MEDIARATE#{user_id}#{hour}", "sk": "RATE"}


@dataclass(frozen=True)
class Outcome:
    """What the worker decided for a media item (all but `status` optional)."""

    status: str
    reason: str | None = None
    renditions: dict[str, str] | None = None
    moderation: str | None = None
    trace_id: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    # What the bytes are, whatever was declared: a "photo" that is a video is recorded as a video.
    kind: str | None = None
    content_type: str | None = None


class MediaStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def get(self, media_id: str) -> Media | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(media_key(media_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else Media.model_validate(unmarshal(item))

    def create(self, media: Media, now: datetime, per_hour: int) -> None:
        """The pending item and the uploader's hourly count, in one transaction.

        Raises:
            RateLimitedError: the user started `per_hour` uploads this hour already.
        """
        moment = now.astimezone(UTC)
        start = moment.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
        retry_after = max(1, int((end - moment).total_seconds() + 0.999999))
        put = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {
                            **media_key(media.media_id),
                            "entity": MEDIA_ENTITY,
                            **media.model_dump(),
                            "sweep_pk": sweep_partition(media.media_id),
                            "sweep_sk": iso(now + ABANDONED_AFTER),
                        }
                    ),
                    # A media id is a fresh ULID: a collision is a bug, never overwrite.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        count = TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(rate_key(media.owner_id, start.strftime("%Y%m%d%H"))),
                    "UpdateExpression": "ADD n :one SET entity = :entity, expires_at = :exp",
                    "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
                    "ExpressionAttributeValues": marshal(
                        {
                            ":one": 1,
                            ":limit": per_hour,
                            ":entity": RATE_ENTITY,
                            ":exp": int((end + timedelta(hours=1)).timestamp()),
                        }
                    ),
                }
            },
            on_condition_failed=lambda _: RateLimitedError(retry_after, "too many uploads this hour"),
        )
        transact(self._ddb, [put, count])

    def record(self, media_id: str, outcome: Outcome, now: str) -> bool:
        """Records the worker's outcome on an item it has not processed before; False when another
        delivery of the same upload recorded one first (or the item is gone).

        A `pending` outcome (WeChat will answer later) stores the renditions and the trace lookup
        together; a verdict settles the item later (`settle`).
        """
        values: dict[str, Any] = {
            ":status": outcome.status,
            ":pending": "pending",
            ":now": now,
            ":renditions": outcome.renditions or {},
        }
        sets = ["#status = :status", "processed_at = :now", "renditions = :renditions"]
        optional = {
            "kind": outcome.kind,
            "content_type": outcome.content_type,
            "reason": outcome.reason,
            "moderation": outcome.moderation,
            "trace_id": outcome.trace_id,
            "width": outcome.width,
            "height": outcome.height,
            # DynamoDB numbers are decimals; a duration to the millisecond is plenty.
            "duration_s": None if outcome.duration_s is None else Decimal(str(round(outcome.duration_s, 3))),
        }
        for name, value in optional.items():
            if value is not None:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = value
        if outcome.status == "pending":
            # Waiting on WeChat now: due for the sweep when its verdict is overdue.
            sets.append("sweep_sk = :due")
            values[":due"] = iso(parse_iso(now) + VERDICT_WAIT)
            removes = ""
        else:
            sets.append("decided_at = :now")
            removes = " REMOVE sweep_pk, sweep_sk"
        update: dict[str, Any] = {
            "Update": {
                "TableName": self._table,
                "Key": marshal(media_key(media_id)),
                "UpdateExpression": "SET " + ", ".join(sets) + removes,
                # Only the first delivery of an upload records: a redelivery, or a second copy of
                # the worker racing this one, finds `processed_at` set and changes nothing.
                "ConditionExpression": "#status = :pending AND attribute_not_exists(processed_at)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": marshal(values),
            }
        }
        if outcome.trace_id is None:
            return self._conditional(lambda: self._ddb.update_item(**update["Update"]))
        trace = {
            "Put": {
                "TableName": self._table,
                "Item": marshal(
                    {
                        **trace_key(outcome.trace_id),
                        "entity": TRACE_ENTITY,
                        "media_id": media_id,
                        "expires_at": int((parse_iso(now) + TRACE_TTL).timestamp()),
                    }
                ),
            }
        }
        return self._conditional(lambda: transact(self._ddb, [TxAction(update, _lost), TxAction(trace)]))

    def media_for_trace(self, trace_id: str) -> str | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(trace_key(trace_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else str(unmarshal(item)["media_id"])

    def settle(self, media_id: str, trace_id: str, outcome: Outcome, now: str) -> bool:
        """Settles an item waiting on the WeChat check `trace_id`; False when it is not waiting on
        that check any more (a repeated verdict, or one for a superseded check)."""
        values: dict[str, Any] = {
            ":status": outcome.status,
            ":pending": "pending",
            ":now": now,
            ":trace": trace_id,
        }
        sets = ["#status = :status", "decided_at = :now"]
        for name in ("reason", "moderation"):
            value = getattr(outcome, name)
            if value is not None:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = value
        return self._conditional(
            lambda: self._ddb.update_item(
                TableName=self._table,
                Key=marshal(media_key(media_id)),
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE sweep_pk, sweep_sk",
                ConditionExpression="#status = :pending AND trace_id = :trace",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=marshal(values),
            )
        )

    def abandon(self, media_id: str, now: str) -> bool:
        """Rejects an item that never got an outcome (`abandoned`); False once it has one."""
        return self._conditional(
            lambda: self._ddb.update_item(
                TableName=self._table,
                Key=marshal(media_key(media_id)),
                UpdateExpression=(
                    "SET #status = :rejected, reason = :reason, decided_at = :now REMOVE sweep_pk, sweep_sk"
                ),
                ConditionExpression="#status = :pending AND attribute_not_exists(processed_at)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=marshal(
                    {":rejected": "rejected", ":reason": "abandoned", ":now": now, ":pending": "pending"}
                ),
            )
        )

    def due_for_sweep(self, partition: str, now: str, limit: int) -> list[str]:
        """Ids of the items in one sweep partition due at `now` (oldest first, at most `limit`)."""
        response = self._ddb.query(
            TableName=self._table,
            IndexName="media_sweep",
            KeyConditionExpression="sweep_pk = :pk AND sweep_sk <= :now",
            ExpressionAttributeValues=marshal({":pk": partition, ":now": now}),
            Limit=limit,
        )
        return [str(unmarshal(item)["pk"]).removeprefix("MEDIA#") for item in response.get("Items", [])]

    def delete_claimed(self, media_id: str, post_id: str) -> bool:
        """Deletes the item while `post_id` still claims it; False when it is gone already."""
        return self._conditional(
            lambda: self._ddb.delete_item(
                TableName=self._table,
                Key=marshal(media_key(media_id)),
                ConditionExpression="post_id = :post",
                ExpressionAttributeValues=marshal({":post": post_id}),
            )
        )

    @staticmethod
    def _conditional(write: Any) -> bool:
        try:
            write()
        except _LostError:
            return False
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True


class _LostError(Exception):
    """The transaction's media update found the item decided or processed already."""


def _lost(_: Any) -> Exception:
    return _LostError()


def media_store() -> MediaStore:
    return MediaStore(aws.dynamodb(), get_settings().table_name("content"))
