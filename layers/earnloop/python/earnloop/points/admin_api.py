"""Admin routes of the points context beyond freeze: manual adjustments and the audit listing.

`GET /v1/admin/audit` reads every context's audit records where they were written, each context's
own table (`AUDITED_TABLES`): one Query per table per business day on its `AUDIT#<day>` partition,
never a scan; the tables' records are merged newest first, and a page walks back day by day.

An adjustment is one ledger `adjust` entry with txn id `adjust#<Idempotency-Key>` on the user's
partition, written with its audit record and the live-admin check in one transaction. The entry
holds the request (delta, reason), so a repeated key is answered from it: the same body gets the
same answer (200), another body 409 `idempotency_conflict`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from earnloop.platform import aws
from earnloop.platform.audit import (
    POSITION,
    AdminAction,
    admin_action,
    audit_put,
    day_records,
    record_position,
)
from earnloop.platform.auth import AdminUser
from earnloop.platform.clock import business_day, utcnow
from earnloop.platform.errors import IdempotencyConflictError, ValidationFailedError
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from earnloop.platform.dynamo import TxAction
    from earnloop.points.models import LedgerEntry, Posting

router = APIRouter(tags=["admin"])

# What clients generate (UUIDs, ULIDs), nothing that could break a key or a log (as the mall's).
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"
MAX_ADJUSTMENT = 100_000
MAX_AUDIT_DAYS = 31
# The tables whose contexts write audit records (platform/audit.py); the listing merges them.
AUDITED_TABLES = ("points", "identity", "codes", "mall", "content")
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


def ledger() -> Ledger:
    return Ledger.default()


LedgerDep = Annotated[Ledger, Depends(ledger)]


class AdjustmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delta: StrictInt = Field(
        ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT, description="Points added (+) or taken (-)"
    )
    reason: StrictStr = Field(min_length=1, max_length=200)


class AdjustmentPublic(BaseModel):
    """What an adjustment answers: its ledger entry (the same on a repeated Idempotency-Key)."""

    txn_id: str
    user_id: str
    delta: int
    reason: str
    balance_after: int
    created_at: str


class AuditPage(BaseModel):
    """`GET /v1/admin/audit`: newest first; `next_cursor` is absent on the last page."""

    items: list[AdminAction]
    next_cursor: str | None = None


def adjustment_txn_id(key: str) -> str:
    return f"adjust#{key}"


def points_audit(
    *,
    actor: str,
    action: str,
    target: str,
    reason: str,
    now: datetime,
    also_after: Mapping[str, object] | None = None,
) -> Callable[[Posting], TxAction]:
    """The audit record of a ledger posting (built from the account as the posting read it).
    `action`: what the admin did (freeze, unfreeze, adjust, sanction); `also_after`: what else the
    action's transaction changed (the held earns an unfreeze forfeited)."""
    table = get_settings().table_name("points")

    def record(posting: Posting) -> TxAction:
        account, entry = posting.account, posting.entry
        before: dict[str, object] = {"status": account.status, "balance": account.balance}
        after: dict[str, object] = {
            "status": posting.new_status or account.status,
            "balance": entry.balance_after,
        }
        if posting.bar is not None:  # a sanction: earning barred until then
            before["barred_until"] = account.barred_until
            after["barred_until"] = posting.bar[0]
        after.update(also_after or {})
        return audit_put(
            table,
            admin_action(
                "points",
                actor=actor,
                action=action,
                target=target,
                reason=reason,
                now=now,
                before=before,
                after=after,
                reference=entry.txn_id,
            ),
        )

    return record


def _public(entry: LedgerEntry) -> AdjustmentPublic:
    return AdjustmentPublic(
        txn_id=entry.txn_id,
        user_id=entry.user_id,
        delta=entry.delta,
        reason=entry.reason,
        balance_after=entry.balance_after,
        created_at=entry.created_at,
    )


@router.post(
    "/v1/admin/users/{user_id}/adjustments",
    name="admin_users_adjust",
    status_code=201,
    response_model=AdjustmentPublic,
    responses={
        200: {"model": AdjustmentPublic, "description": "The adjustment this Idempotency-Key made before"}
    },
    summary="Adds or takes points by hand, audited",
)
def admin_users_adjust(
    user_id: UserId,
    body: AdjustmentRequest,
    admin: AdminUser,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN)],
) -> AdjustmentPublic:
    from earnloop.points.api import admin_guard  # the freeze's guard; api.py imports this module

    if body.delta == 0:
        raise ValidationFailedError("delta must not be 0")
    txn_id = adjustment_txn_id(idempotency_key)
    actor = f"admin:{admin.user_id}"
    now = utcnow()
    audit = points_audit(actor=actor, action="adjust", target=user_id, reason=body.reason, now=now)
    guard = admin_guard(admin.user_id, user_id)
    outcome = ledger.adjust(user_id, txn_id, body.delta, body.reason, actor, now, guard, audit)
    store: PointsStore = ledger.store  # type: ignore[assignment]
    entry = outcome.entry if outcome.status == "applied" else store.entry(user_id, txn_id)
    if entry is None:  # cannot happen: an already-applied txn id has its entry
        raise IdempotencyConflictError("this Idempotency-Key was used with another request body")
    if outcome.status != "applied":
        if (entry.delta, entry.reason) != (body.delta, body.reason):
            raise IdempotencyConflictError("this Idempotency-Key was used with another request body")
        response.status_code = 200
    logger.info(
        "points adjusted", extra={"user_id": user_id, "outcome": outcome.status, "admin": admin.user_id}
    )
    return _public(entry)


@router.get(
    "/v1/admin/audit",
    name="admin_audit_list",
    response_model=AuditPage,
    response_model_exclude_none=True,
    summary="Audited admin actions, newest first",
)
def admin_audit_list(
    admin: AdminUser,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    target: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> AuditPage:
    today = business_day(utcnow())
    last = to or today
    first = from_ or last - timedelta(days=6)
    if first > last or (last - first).days >= MAX_AUDIT_DAYS:
        raise ValidationFailedError(f"from must be on or before to, at most {MAX_AUDIT_DAYS} days")
    day, after = last, None
    if cursor:  # `<day>.<position of the last record shown>`: the page continues after it
        day_text, _, after = cursor.partition(".")
        day = _cursor_day(day_text, first, last)
        if POSITION.fullmatch(after) is None:
            raise ValidationFailedError("cursor is malformed")
    settings = get_settings()
    tables = [settings.table_name(name) for name in AUDITED_TABLES]
    items: list[AdminAction] = []
    while day >= first:
        records = day_records(aws.dynamodb(), tables, day, actor=actor, target=target)
        if after is not None:
            records = [r for r in records if record_position(r) < after]
            after = None
        room = limit - len(items)
        items += records[:room]
        if len(records) > room:
            return AuditPage(items=items, next_cursor=f"{day.isoformat()}.{record_position(items[-1])}")
        day -= timedelta(days=1)
    return AuditPage(items=items)


def _cursor_day(text: str, first: date, last: date) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise ValidationFailedError("cursor is malformed") from error
    if not first <= day <= last:
        raise ValidationFailedError("cursor is malformed")
    return day
