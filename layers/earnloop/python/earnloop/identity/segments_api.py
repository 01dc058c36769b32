"""`GET /v1/admin/users/{user_id}`: what the admins see of a user's lifecycle, profile tags and tier."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from earnloop.identity import rules
from earnloop.identity.segments_rules import Rfm, rfm_of
from earnloop.identity.segments_store import SegmentsStore
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.auth import AdminUser
from earnloop.platform.clock import business_day, utcnow
from earnloop.platform.errors import NotFoundError
from earnloop.platform.settings import get_settings

router = APIRouter(tags=["identity"])

UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class UserOverview(BaseModel):
    id: str
    nickname: str | None
    tier: str
    tags: list[str]
    segment: str | None
    rfm: Rfm
    last_active_at: str | None
    segment_since: str | None = None


def identity_store() -> IdentityStore:
    return IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))


def segments_store() -> SegmentsStore:
    settings = get_settings()
    return SegmentsStore(aws.dynamodb(), settings.table_name("identity"), settings.segment_shards)


@router.get(
    "/v1/admin/users/{user_id}",
    name="admin_users_get",
    response_model=UserOverview,
    summary="A user's segment, RFM scores, tags and tier",
)
def admin_users_get(
    user_id: UserId,
    _: AdminUser,
    identity: Annotated[IdentityStore, Depends(identity_store)],
    segments: Annotated[SegmentsStore, Depends(segments_store)],
) -> UserOverview:
    """The segment is the one the platform acts on (moved by the activity worker and the daily job);
    the RFM scores are as of now (recency falls day by day between moves). 404 for no such user."""
    user = identity.get_user(user_id)
    lifecycle = segments.lifecycle(user_id)
    if user is None or lifecycle is None:
        raise NotFoundError("no such user")
    return UserOverview(
        id=user.user_id,
        nickname=user.nickname,
        tier=user.tier,
        tags=rules.top_tags(identity.tags(user_id)),
        segment=lifecycle.segment,
        rfm=rfm_of(lifecycle, business_day(utcnow())),
        last_active_at=lifecycle.last_active_at,
        segment_since=lifecycle.segment_since,
    )
