"""`POST /v1/admin/users/{user_id}/sanction`: a fraud verdict (points/sanctions.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from earnloop.platform.auth import AdminUser
from earnloop.platform.clock import utcnow
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.admin_api import points_audit
from earnloop.points.sanctions import Sanctions
from earnloop.points.service import Ledger

router = APIRouter(tags=["admin"])
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


def ledger() -> Ledger:
    return Ledger.default()


class SanctionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(min_length=1, max_length=200)


class SanctionPublic(BaseModel):
    """What a sanction answers. `txn_id` (the forfeit entry) is absent when a bar was already in force."""

    user_id: str
    balance: int
    barred_until: str
    bar_reason: str
    forfeited: int = Field(description="Points the forfeit entry took (0 on a repeat)")
    txn_id: str | None = None


@router.post(
    "/v1/admin/users/{user_id}/sanction",
    name="admin_users_sanction",
    response_model=SanctionPublic,
    response_model_exclude_none=True,
)
def admin_users_sanction(
    user_id: UserId, body: SanctionRequest, admin: AdminUser, ledger: Annotated[Ledger, Depends(ledger)]
) -> SanctionPublic:
    """Forfeits every point of the user (an `adjust` entry, reason `forfeit`), drops their held and
    pending earns and bars earning for the configured period. Repeating it while the bar is in
    force changes nothing. A user that does not exist is 404."""
    from earnloop.points.api import admin_guard  # the module that includes this router

    actor, now = f"admin:{admin.user_id}", utcnow()
    audit = points_audit(actor=actor, action="sanction", target=user_id, reason=body.reason, now=now)
    outcome = Sanctions(ledger).sanction(
        user_id,
        f"sanction#{new_id()}",
        body.reason,
        actor,
        now,
        get_settings().sanction_bar_days,
        admin_guard(admin.user_id, user_id),
        audit,
    )
    account = ledger.account(user_id, consistent=True)
    logger.info(
        "account sanction", extra={"user_id": user_id, "outcome": outcome.status, "admin": admin.user_id}
    )
    return SanctionPublic(
        user_id=user_id,
        balance=account.balance,
        barred_until=account.barred_until or "",
        bar_reason=account.bar_reason or "",
        forfeited=-outcome.entry.delta if outcome.entry is not None else 0,
        txn_id=outcome.txn_id,
    )
