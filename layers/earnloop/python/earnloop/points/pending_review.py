"""An admin's review of pending points: `POST /v1/admin/users/{user_id}/pending/release` credits
every pending earn of the user now instead of at its release time (points/pending.py).

Each hold is credited under its own txn id in the transaction that deletes it (as the release
schedule does, so a hold is credited once whichever comes first), with the admin's audit record
(`action` `release_pending`, `reference` the earn's txn id) and the live-admin checks. Earns held
for a frozen account (no release time) are the unfreeze's to release; a frozen account is refused
(423), a barred one's holds are dropped as the schedule drops them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from earnloop.platform.auth import AdminUser
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger
from earnloop.points.rules import EarningBarredError
from earnloop.points.service import Ledger

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from earnloop.platform.dynamo import TxAction
    from earnloop.points.models import Posting
    from earnloop.points.service import Guard

router = APIRouter(tags=["admin"])
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr | None = Field(default=None, min_length=1, max_length=200)


class ReleasePublic(BaseModel):
    """What the release answers: the points and earns credited now, and the balance after."""

    user_id: str
    released: int = Field(description="Points credited now (0: nothing was pending)")
    earns: int = Field(description="Pending earns credited now")
    balance: int


def release_pending(
    ledger: Ledger,
    user_id: str,
    now: datetime,
    guard: Guard,
    audit: Callable[[Posting], TxAction],
) -> tuple[int, int]:
    """Credits every pending hold of the user now; (points, earns) credited.

    Raises:
        AccountFrozenError: the account is frozen (unfreeze it: that releases everything held).
        UnauthenticatedError, ForbiddenError, NotFoundError: the guard's (admin gone or demoted,
        no such user).
    """
    guard.verify()  # a user with nothing pending still answers 404 / 403 as the commands do
    points = earns = 0
    for hold in ledger.store.holds(user_id):
        if hold.release_at is None:
            continue  # held for a frozen account: the unfreeze releases it
        try:
            outcome = ledger.earn(hold.command, now, release_hold=True, checks=guard.checks, audit=audit)
        except EarningBarredError:
            logger.info("pending earn of a barred account, dropped", extra={"txn_id": hold.command.txn_id})
            ledger.store.delete_hold(user_id, hold.command.txn_id)
            continue
        if outcome.status == "already_applied":  # the schedule was first
            ledger.store.delete_hold(user_id, hold.command.txn_id)
        elif outcome.entry is not None:
            points += outcome.entry.delta
            earns += 1
    return points, earns


def _ledger() -> Ledger:
    return Ledger.default()


@router.post(
    "/v1/admin/users/{user_id}/pending/release",
    name="admin_users_pending_release",
    response_model=ReleasePublic,
    summary="Credits a user's pending points now, audited",
)
def admin_users_pending_release(
    user_id: UserId,
    admin: AdminUser,
    ledger: Annotated[Ledger, Depends(_ledger)],
    body: Annotated[ReleaseRequest | None, Body()] = None,
) -> ReleasePublic:
    """A review's outcome: every pending earn of the user (a new or risky account's) is credited
    now, each with an audit record. 423 `account_frozen` while frozen (the unfreeze releases
    them); 404 `not_found` for no such user."""
    from earnloop.points.admin_api import points_audit
    from earnloop.points.api import admin_guard  # the module that includes this router

    reason = body.reason if body is not None and body.reason else "pending released by admin"
    actor, now = f"admin:{admin.user_id}", utcnow()
    audit = points_audit(actor=actor, action="release_pending", target=user_id, reason=reason, now=now)
    points, earns = release_pending(ledger, user_id, now, admin_guard(admin.user_id, user_id), audit)
    logger.info(
        "pending released by admin", extra={"user_id": user_id, "points": points, "admin": admin.user_id}
    )
    balance = ledger.account(user_id, consistent=True).balance
    return ReleasePublic(user_id=user_id, released=points, earns=earns, balance=balance)
