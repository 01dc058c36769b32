"""HTTP routes of the points context: the caller's balance and history, and the admin freeze."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query

from earnloop.identity.rules import ADMIN
from earnloop.identity.store import IdentityStore, live_user_check
from earnloop.platform import aws
from earnloop.platform.auth import AdminUser, CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.errors import ForbiddenError, InvalidStateError, NotFoundError, UnauthenticatedError
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.models import (
    AccountStatusPublic,
    ExpiringPoints,
    FreezeRequest,
    HistoryItem,
    HistoryPage,
    Outcome,
    PendingRelease,
    PointsPublic,
    UnfreezeRequest,
)
from earnloop.points.rules import barred as barred_now
from earnloop.points.sanctions import MAX_DROPPED_HOLDS
from earnloop.points.service import Guard, Ledger

router = APIRouter(tags=["points"])


def ledger() -> Ledger:
    # Cheap to build: the client and settings underneath are cached per container.
    return Ledger.default()


LedgerDep = Annotated[Ledger, Depends(ledger)]
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


@router.get("/v1/points", name="points_get", response_model=PointsPublic, response_model_exclude_none=True)
def points_get(user: CurrentUser, ledger: LedgerDep) -> PointsPublic:
    account = ledger.account(user.user_id, consistent=True)
    # Held earns (pending, or waiting for an unfreeze) are few: the caps bound them.
    holds = ledger.store.holds(user.user_id)
    # Soonest first; those waiting for an unfreeze (no release time) last.
    holds.sort(key=lambda hold: (hold.release_at is None, hold.release_at or ""))
    pending = sum(hold.command.points for hold in holds)
    barred = barred_now(account, utcnow())
    return PointsPublic(
        balance=account.balance,
        lifetime_earned=account.lifetime_earned,
        tier=ledger.tier(account).name,
        status="barred" if barred else account.status,
        expiring=[ExpiringPoints(date=d, points=p) for d, p in sorted(account.buckets.items()) if p > 0],
        pending=pending,
        pending_releases=[PendingRelease(points=h.command.points, release_at=h.release_at) for h in holds]
        or None,
        barred_until=account.barred_until if barred else None,
        bar_reason=account.bar_reason if barred else None,
    )


@router.get(
    "/v1/points/history", name="points_history", response_model=HistoryPage, response_model_exclude_none=True
)
def points_history(
    user: CurrentUser,
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> HistoryPage:
    entries, next_cursor = ledger.history(user.user_id, limit, cursor)
    items = [
        HistoryItem(
            txn_id=e.txn_id,
            type=e.entry_type,
            delta=e.delta,
            balance_after=e.balance_after,
            reason=e.reason,
            created_at=e.created_at,
            base_points=e.base_points,
            multiplier=float(e.multiplier) if e.multiplier is not None else None,
        )
        for e in entries
    ]
    return HistoryPage(items=items, next_cursor=next_cursor)


def admin_guard(admin_id: str, user_id: str) -> Guard:
    """An admin command on `user_id`'s account runs only while the admin still is one (else
    401/403) and the user exists (else 404): ConditionChecks on the identity table in the write's
    own transaction, so a freeze of a user that never existed creates no account."""
    table = get_settings().table_name("identity")
    deleted = UnauthenticatedError("the token's user no longer exists")
    demoted = ForbiddenError("admin role required")
    checks = [live_user_check(table, admin_id, role=ADMIN, missing=deleted, lacks_role=demoted)]
    if user_id != admin_id:  # one transaction may not check an item twice
        checks.append(live_user_check(table, user_id, missing=NotFoundError("no such user")))

    def verify() -> None:
        identity = IdentityStore(aws.dynamodb(), table)
        admin = identity.get_user(admin_id)
        if admin is None:
            raise deleted
        if ADMIN not in admin.roles:
            raise demoted
        if user_id != admin_id and identity.get_user(user_id) is None:
            raise NotFoundError("no such user")

    return Guard(checks=checks, verify=verify)


def _status(user_id: str, outcome: Outcome, ledger: Ledger) -> AccountStatusPublic:
    account = ledger.account(user_id, consistent=True)
    return AccountStatusPublic(
        user_id=user_id, status=account.status, balance=account.balance, txn_id=outcome.txn_id
    )


@router.post(
    "/v1/admin/users/{user_id}/freeze",
    name="admin_users_freeze",
    response_model=AccountStatusPublic,
    response_model_exclude_none=True,
)
def admin_users_freeze(
    user_id: UserId, body: FreezeRequest, admin: AdminUser, ledger: LedgerDep
) -> AccountStatusPublic:
    """Freezes the account: it neither earns (earns are held) nor spends. Repeating it is harmless.
    A user that does not exist is 404 (no account is created)."""
    guard, actor, now = admin_guard(admin.user_id, user_id), f"admin:{admin.user_id}", utcnow()
    audit = points_audit(actor=actor, action="freeze", target=user_id, reason=body.reason, now=now)
    outcome = ledger.freeze(user_id, body.reason, actor, now, guard, audit)
    logger.info(
        "account freeze", extra={"user_id": user_id, "outcome": outcome.status, "admin": admin.user_id}
    )
    return _status(user_id, outcome, ledger)


@router.post(
    "/v1/admin/users/{user_id}/unfreeze",
    name="admin_users_unfreeze",
    response_model=AccountStatusPublic,
    response_model_exclude_none=True,
)
def admin_users_unfreeze(
    user_id: UserId,
    admin: AdminUser,
    ledger: LedgerDep,
    body: Annotated[UnfreezeRequest | None, Body()] = None,
) -> AccountStatusPublic:
    """Unfreezes the account. Earns held meanwhile are credited a moment later by the points worker,
    or, with `held: forfeit`, dropped in the unfreeze's own transaction (listed in its audit record).

    Raises:
        InvalidStateError: more held earns to forfeit than one transaction takes (a sanction
            forfeits any number).
    """
    reason = body.reason if body is not None and body.reason else "unfrozen by admin"
    guard, actor, now = admin_guard(admin.user_id, user_id), f"admin:{admin.user_id}", utcnow()
    also_after = None
    if body is not None and body.held == "forfeit":
        guard, forfeited = _forfeiting(guard, ledger, user_id)
        also_after = {"held": "forfeit", "forfeited": forfeited}
    audit = points_audit(
        actor=actor, action="unfreeze", target=user_id, reason=reason, now=now, also_after=also_after
    )
    outcome = ledger.unfreeze(user_id, reason, actor, now, guard, audit)
    logger.info(
        "account unfreeze", extra={"user_id": user_id, "outcome": outcome.status, "admin": admin.user_id}
    )
    return _status(user_id, outcome, ledger)


def _forfeiting(guard: Guard, ledger: Ledger, user_id: str) -> tuple[Guard, list[dict[str, object]]]:
    """`guard` also deleting the earns held for the frozen account (not the pending ones, which
    wait for their own release), and what they were. An earn held after this read is released by
    the worker as usual: the admin saw the list they forfeited."""
    held = [hold for hold in ledger.store.holds(user_id) if hold.release_at is None]
    if len(held) > MAX_DROPPED_HOLDS:
        raise InvalidStateError(
            f"{len(held)} earns are held: more than one unfreeze can forfeit ({MAX_DROPPED_HOLDS}); "
            "a sanction forfeits them all"
        )
    deletes = [ledger.store.hold_delete_action(user_id, hold.command.txn_id) for hold in held]
    forfeited: list[dict[str, object]] = [
        {"txn_id": hold.command.txn_id, "points": hold.command.points} for hold in held
    ]
    return Guard([*guard.checks, *deletes], guard.verify), forfeited


# The areas' routes themselves, not `include_router` (see content/api.py): the composition root and
# the catalog tests see each route by its function name.
from earnloop.points.admin_api import points_audit  # noqa: E402
from earnloop.points.admin_api import router as _admin_router  # noqa: E402
from earnloop.points.checkins_api import router as _checkins_router  # noqa: E402
from earnloop.points.rules_api import router as _rules_router  # noqa: E402

for _area in (_rules_router, _checkins_router, _admin_router):
    router.routes.extend(_area.routes)

from earnloop.points.sanctions_api import router as _sanctions_router  # noqa: E402

router.routes.extend(_sanctions_router.routes)

from earnloop.points.pending_review import router as _pending_review_router  # noqa: E402

router.routes.extend(_pending_review_router.routes)
