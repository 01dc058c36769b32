"""Re-publishing events whose downstream effect has not arrived (the generic outbox sweep).

The mechanism, for any context that owns a table (docs/decisions.md, "The outbox sweep"):

1. **Mark.** The write that commits a change also puts a *pending marker* in its own transaction:
   the sparse attributes `due_pk = DUE#<kind>#<shard>`, `due_sk = <when it is due>` of the owning
   table's `outbox_due` index (`outbox_index()`, KEYS_ONLY). The marker is either on the changed
   item itself (`pending_attributes`, for an item nobody rewrites whole, such as a like) or on a
   small item of its own that carries a copy of the event (`pending_event_item`, for an item that
   is replaced whole by versioned Puts, such as a post).
2. **Confirm.** When the downstream effect is seen (an event the owning context consumes, such as
   `PointsChanged` with the post's txn id), the owning context removes the marker
   (`OutboxSweeper.confirm`): it leaves the index.
3. **Sweep.** A schedule queries only the due part of each shard (`OutboxSweeper.sweep`) and touches
   each item: `ADD sweeps 1`, a new due time one delay later. It never publishes: the owning
   context's deriver sees `was_swept(change)` on the touched item's stream record and derives the
   same event again (`republished` does it for marker items), so the republish goes through the
   stream publisher like any event.
4. **Give up.** A marker swept `max_sweeps` times is removed with a warning and the metric
   `OutboxSweepsExhausted`: an effect that legitimately never comes (an earn over its daily cap, a
   rule switched off) must not be republished forever.

Duplicates are harmless by design: every consumer is idempotent (deterministic txn ids, upserts).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from earnloop.platform.clock import iso
from earnloop.platform.dynamo import is_condition_failure, marshal, unmarshal
from earnloop.platform.observability import logger, metrics
from earnloop.platform.resources import Index, Key
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.platform.events import Change, DomainEvent

OUTBOX_INDEX = "outbox_due"
DUE_PK = "due_pk"
DUE_SK = "due_sk"
SWEEPS = "sweeps"
PENDING_ENTITY = "OutboxPending"
# A marker item outlives its use by this long at most (TTL), confirmed or not.
PENDING_ITEM_TTL = timedelta(days=30)


def outbox_index() -> Index:
    """The sparse index an owning table declares in its context (`gsis=(..., outbox_index())`)."""
    return Index(OUTBOX_INDEX, Key(DUE_PK), Key(DUE_SK), projection="KEYS_ONLY")


@dataclass(frozen=True)
class Sweep:
    """One kind of pending effect: `kind` names it in the index (`post_earn`, `like_earn`, ...);
    its marker is due `delay` after the write (the stage may set another: `outbox_delays_s`), and
    again that long after each sweep, `max_sweeps` times at most; `shards` spread a spike of
    writes over that many index partitions."""

    kind: str
    delay: timedelta
    max_sweeps: int = 3
    shards: int = 4

    def shard(self, item_id: str) -> int:
        digest = hashlib.blake2b(item_id.encode(), digest_size=4).digest()
        return int.from_bytes(digest, "big") % self.shards

    def partition(self, shard: int) -> str:
        return f"DUE#{self.kind}#{shard}"

    @property
    def wait(self) -> timedelta:
        """The delay in force: the stage's `outbox_delays_s` for this kind, else the declared one."""
        configured = get_settings().outbox_delays_s.get(self.kind)
        return timedelta(seconds=configured) if configured else self.delay


def pending_attributes(sweep: Sweep, item_id: str, written_at: datetime) -> dict[str, str]:
    """The marker's attributes (plain values) for an item written at `written_at`."""
    return {DUE_PK: sweep.partition(sweep.shard(item_id)), DUE_SK: iso(written_at + sweep.wait)}


def pending_event_item(
    key: Mapping[str, str], sweep: Sweep, item_id: str, event: DomainEvent, written_at: datetime
) -> dict[str, Any]:
    """A marker item of its own (plain values) holding a copy of `event`, to Put in the transaction
    that commits the change `event` is derived from. Its INSERT means nothing; a sweep's touch
    makes the owning deriver return the copy (`republished`)."""
    return {
        **key,
        "entity": PENDING_ENTITY,
        "kind": sweep.kind,
        "event_type": event.detail_type,
        "event": event.model_dump(mode="json"),
        **pending_attributes(sweep, item_id, written_at),
        "expires_at": int((written_at + PENDING_ITEM_TTL).timestamp()),
    }


def was_swept(change: Change) -> bool:
    """True when this change is a sweep's touch of a still-pending item (derive its event again)."""
    new, old = change.new or {}, change.old or {}
    return (
        change.kind == "MODIFY"
        and DUE_PK in new
        and int(new.get(SWEEPS, 0) or 0) > int(old.get(SWEEPS, 0) or 0)
    )


def republished(change: Change, events: Mapping[str, type[DomainEvent]]) -> list[DomainEvent]:
    """The event copied into a marker item, when a sweep touched it; `events` maps the detail
    types the owning context stores copies of to their models. Nothing for any other change."""
    if change.entity != PENDING_ENTITY or not was_swept(change):
        return []
    new = change.new or {}
    model = events.get(str(new.get("event_type")))
    if model is None:
        logger.warning("pending marker of an unknown event type", extra={"event_type": new.get("event_type")})
        return []
    return [model.model_validate(new["event"])]


@dataclass(frozen=True)
class SweepResult:
    touched: int
    exhausted: int
    # A shard had more due items than one run takes: the next run goes on.
    more: bool


class OutboxSweeper:
    """The index reads and marker writes of one owning table."""

    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    def confirm(self, key: Mapping[str, str]) -> bool:
        """Takes the item at `key` off the index: its downstream effect arrived. Idempotent; False
        when there was no marker (confirmed before, given up, or never marked)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(key),
                UpdateExpression="REMOVE #pk, #sk",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": DUE_PK, "#sk": DUE_SK},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def due(self, sweep: Sweep, shard: int, now: datetime, limit: int) -> tuple[list[dict[str, str]], bool]:
        """Keys of up to `limit` items of one shard due at `now`, earliest first, and whether more
        may follow (one page: the next run takes the rest)."""
        response = self._ddb.query(
            TableName=self._table,
            IndexName=OUTBOX_INDEX,
            KeyConditionExpression="#pk = :pk AND #sk <= :now",
            ExpressionAttributeNames={"#pk": DUE_PK, "#sk": DUE_SK},
            ExpressionAttributeValues=marshal({":pk": sweep.partition(shard), ":now": iso(now)}),
            Limit=limit,
        )
        keys = [{"pk": item["pk"], "sk": item["sk"]} for item in map(unmarshal, response.get("Items", []))]
        return keys, "LastEvaluatedKey" in response

    def touch(self, sweep: Sweep, key: Mapping[str, str], partition: str, now: datetime) -> str:
        """Counts a sweep on an item still pending in `partition` (its `due_pk`) and makes it due
        again one delay later: its stream record republishes the event. Returns `touched`, `gone`
        (confirmed meanwhile) or `exhausted` (swept `max_sweeps` times: the marker is removed
        instead)."""
        names = {"#pk": DUE_PK, "#sk": DUE_SK, "#sweeps": SWEEPS}
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(key),
                UpdateExpression="ADD #sweeps :one SET #sk = :next, swept_at = :now",
                # Still marked for this kind (a confirmation removes the marker), and not worn out.
                ConditionExpression="#pk = :pk AND (attribute_not_exists(#sweeps) OR #sweeps < :max)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=marshal(
                    {
                        ":one": 1,
                        ":next": iso(now + sweep.wait),
                        ":now": iso(now),
                        ":pk": partition,
                        ":max": sweep.max_sweeps,
                    }
                ),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return "exhausted" if self._give_up(sweep, key, partition, now) else "gone"
        return "touched"

    def _give_up(self, sweep: Sweep, key: Mapping[str, str], partition: str, now: datetime) -> bool:
        """Removes a marker that has been swept `max_sweeps` times. False when it is gone anyway."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(key),
                UpdateExpression="REMOVE #pk, #sk SET sweep_exhausted_at = :now",
                ConditionExpression="#pk = :pk AND #sweeps >= :max",
                ExpressionAttributeNames={"#pk": DUE_PK, "#sk": DUE_SK, "#sweeps": SWEEPS},
                ExpressionAttributeValues=marshal(
                    {":pk": partition, ":max": sweep.max_sweeps, ":now": iso(now)}
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def sweep(self, sweep: Sweep, now: datetime, per_shard_limit: int = 100) -> SweepResult:
        """Touches every item of `sweep` due at `now`, one page per shard (a Query each, never a
        Scan: the cost grows with the items due, not with the table)."""
        touched = exhausted = 0
        more = False
        for shard in range(sweep.shards):
            keys, shard_more = self.due(sweep, shard, now, per_shard_limit)
            more = more or shard_more
            for key in keys:
                outcome = self.touch(sweep, key, sweep.partition(shard), now)
                if outcome == "touched":
                    touched += 1
                elif outcome == "exhausted":
                    exhausted += 1
                    logger.warning("outbox sweep gave up", extra={"kind": sweep.kind, **key})
        if touched or exhausted:
            logger.warning(
                "outbox swept", extra={"kind": sweep.kind, "touched": touched, "exhausted": exhausted}
            )
        else:
            logger.info("outbox: nothing due", extra={"kind": sweep.kind})
        metrics.add_metric(name="OutboxSwept", unit=MetricUnit.Count, value=touched)
        if exhausted:
            metrics.add_metric(name="OutboxSweepsExhausted", unit=MetricUnit.Count, value=exhausted)
        return SweepResult(touched, exhausted, more)

    def sweep_all(self, sweeps: Sequence[Sweep], now: datetime) -> dict[str, int]:
        """Every kind of this table swept as of `now`: a scheduled run's answer."""
        touched = exhausted = 0
        for sweep in sweeps:
            result = self.sweep(sweep, now)
            touched, exhausted = touched + result.touched, exhausted + result.exhausted
        return {"touched": touched, "exhausted": exhausted}
