"""Audit records of admin actions, kept in the acting context's own table.

Item `AUDIT#<business day>` / `<at>#<audit id>` (entity AdminAction): who (`actor`: `admin:<user>`
or `ops:<who>`), what (`action`, `target`, `reference`: the ledger entry or item the action wrote),
when (`at`), why (`reason`), `before` and `after` (the state the action changed). The Put goes in the
action's own transaction (`attribute_not_exists`), so an action is never without its record and a
record never describes an action that did not commit; no route updates or deletes these items. The
stream turns each insert into `AdminActionRecorded`.

One partition per day: admin actions are people's, a few a minute at most, far below a partition's
write limit; listing a day range is one Query per day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from earnloop.platform.clock import business_day, iso
from earnloop.platform.dynamo import TxAction, marshal, unmarshal
from earnloop.platform.events import Change, DomainEvent
from earnloop.platform.ids import new_id
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

ENTITY = "AdminAction"
PREFIX = "AUDIT#"


class AdminAction(BaseModel):
    """One audited admin action (the stored item's fields, and the listing's item)."""

    model_config = ConfigDict(frozen=True)

    audit_id: str
    context: str
    actor: str
    action: str
    target: str
    reason: str
    at: str
    before: dict[str, Any]
    after: dict[str, Any]
    reference: str | None = None


class AdminActionRecorded(AdminAction, DomainEvent):
    """An admin action committed with its audit record (derived from the record's insert)."""

    source = "earnloop.audit"
    detail_type = "AdminActionRecorded"


def admin_action(
    context: str,
    *,
    actor: str,
    action: str,
    target: str,
    reason: str,
    now: datetime,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    reference: str | None = None,
) -> AdminAction:
    return AdminAction(
        audit_id=new_id(),
        context=context,
        actor=actor,
        action=action,
        target=target,
        reason=reason,
        at=iso(now),
        before=dict(before),
        after=dict(after),
        reference=reference,
    )


@dataclass(frozen=True)
class AuditOf:
    """An admin command's audit record, waiting for what the command changes: the command calls
    `put` once it has read the state it changes, and commits the result in its own transaction
    (nothing changed: no call, no record)."""

    table: str
    context: str
    actor: str
    action: str
    reason: str
    now: datetime

    def put(
        self,
        target: str,
        *,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        reference: str | None = None,
    ) -> TxAction:
        record = admin_action(
            self.context,
            actor=self.actor,
            action=self.action,
            target=target,
            reason=self.reason,
            now=self.now,
            before=before,
            after=after,
            reference=reference,
        )
        return audit_put(self.table, record)


def admin_audit(context: str, admin_id: str, action: str, reason: str, now: datetime) -> AuditOf:
    """The audit of admin `admin_id`'s command in `context`, kept in that context's own table."""
    table = get_settings().table_name(context)
    return AuditOf(table, context, f"admin:{admin_id}", action, reason, now)


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The before and after of the `fields` whose values differ (a field absent on one side, as
    everything before a creation, is left out of that side). `fields` is an allow-list, so a record
    never carries personal data by accident (an order's address, a user's phone)."""
    changed = [name for name in fields if before.get(name) != after.get(name)]
    return (
        {name: before[name] for name in changed if name in before},
        {name: after[name] for name in changed if name in after},
    )


def audit_partition(day: date) -> str:
    return f"{PREFIX}{day.isoformat()}"


def audit_put(table_name: str, record: AdminAction) -> TxAction:
    """The transaction item that writes `record` (never over another one)."""
    from earnloop.platform.clock import parse_iso

    item = {
        "pk": audit_partition(business_day(parse_iso(record.at))),
        "sk": f"{record.at}#{record.audit_id}",
        "entity": ENTITY,
        **record.model_dump(exclude_none=True),
    }
    return TxAction(
        {
            "Put": {
                "TableName": table_name,
                "Item": marshal(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    )


def derive_recorded(change: Change) -> list[DomainEvent]:
    """`AdminActionRecorded` for an inserted audit record; nothing for any other change."""
    if change.entity != ENTITY or change.kind != "INSERT" or change.new is None:
        return []
    return [AdminActionRecorded.model_validate(change.new)]


def day_records(
    ddb: DynamoDBClient,
    tables: Sequence[str],
    day: date,
    *,
    actor: str | None = None,
    target: str | None = None,
) -> list[AdminAction]:
    """Every record of business `day` in `tables`, newest first, filtered by actor and target:
    one Query per table on the day's partition (more only past 1 MB), never a scan.

    Whole day partitions: admin actions are people's, a handful a day, so a page of the listing can
    merge the contexts' tables without a cursor per table.
    """
    filters, names, values = [], {}, {":pk": audit_partition(day)}
    if actor:
        filters.append("#actor = :actor")
        names["#actor"] = "actor"
        values[":actor"] = actor
    if target:
        filters.append("#target = :target")
        names["#target"] = "target"
        values[":target"] = target
    records: list[AdminAction] = []
    for table in tables:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": marshal(values),
        }
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
            kwargs["ExpressionAttributeNames"] = names
        while True:
            response = ddb.query(**kwargs)
            records += [AdminAction.model_validate(unmarshal(i)) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return sorted(records, key=record_position, reverse=True)


def record_position(record: AdminAction) -> str:
    """Where a record sorts (and a listing's cursor points): its time, then its id."""
    return f"{record.at}#{record.audit_id}"


POSITION = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9A-Z]{26}")
