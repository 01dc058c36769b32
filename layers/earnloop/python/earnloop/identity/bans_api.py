"""Admin routes that ban and unban a user (identity/bans.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from earnloop.identity.bans import Bans, BanState
from earnloop.platform import aws
from earnloop.platform.auth import AdminUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings

router = APIRouter(tags=["admin"])
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class BanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(min_length=1, max_length=200, description="Why; shown to the user at login")
    until: AwareDatetime | None = Field(
        default=None, description="When the ban ends by itself (with an offset); absent: until unbanned"
    )


class UnbanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr | None = Field(default=None, min_length=1, max_length=200)


class BanPublic(BaseModel):
    """A user's ban after the action: `banned` false once lifted."""

    user_id: str
    banned: bool
    reason: str | None = None
    banned_at: str | None = None
    until: str | None = Field(default=None, description="When the ban ends by itself; absent: until unbanned")


def bans() -> Bans:
    return Bans(aws.dynamodb(), get_settings().table_name("identity"))


def _public(user_id: str, state: BanState) -> BanPublic:
    return BanPublic(
        user_id=user_id,
        banned=state.banned_at is not None,
        reason=state.reason,
        banned_at=state.banned_at,
        until=state.until,
    )


@router.post(
    "/v1/admin/users/{user_id}/ban",
    name="admin_users_ban",
    response_model=BanPublic,
    response_model_exclude_none=True,
    summary="Bans a user: every session ends, logins are refused, audited",
)
def admin_users_ban(user_id: UserId, body: BanRequest, admin: AdminUser) -> BanPublic:
    """Bans the user until `until` (or until unbanned): their logins answer 403 `forbidden` with
    `reason: "banned"`, and their tokens stop working within a minute. Points are untouched. A
    repeat replaces the reason and end. 404 `not_found` for no such user."""
    state = bans().ban(user_id, admin_id=admin.user_id, reason=body.reason, until=body.until, now=utcnow())
    return _public(user_id, state)


@router.post(
    "/v1/admin/users/{user_id}/unban",
    name="admin_users_unban",
    response_model=BanPublic,
    response_model_exclude_none=True,
    summary="Lifts a user's ban, audited",
)
def admin_users_unban(
    user_id: UserId, admin: AdminUser, body: Annotated[UnbanRequest | None, Body()] = None
) -> BanPublic:
    """Lifts the ban: the user may log in again (old tokens stay revoked). A user not banned is
    left as is (no audit record). 404 `not_found` for no such user."""
    reason = body.reason if body is not None and body.reason else "unbanned by admin"
    state, _ = bans().unban(user_id, admin_id=admin.user_id, reason=reason, now=utcnow())
    return _public(user_id, state)
