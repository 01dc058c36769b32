"""HTTP routes of the identity context."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from earnloop.identity import notifications_service, service
from earnloop.identity.avatars import avatar_hosts
from earnloop.identity.bans_api import router as bans_router
from earnloop.identity.follows_api import router as follows_router
from earnloop.identity.models import LoginRequest, LoginResponse, Me, Profile, ProfileUpdate, User
from earnloop.identity.notifications_models import MarkRead, NotificationsPage
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.privacy_api import router as privacy_router
from earnloop.identity.risk_ranks import refresh_risk_rank
from earnloop.identity.segments_api import router as segments_router
from earnloop.identity.sessions_api import router as sessions_router
from earnloop.identity.store import IdentityStore
from earnloop.identity.subscriptions_api import router as subscriptions_router
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.platform.wechat import WeChatClient, default_client
from earnloop.risk.client import SourceIp

router = APIRouter(tags=["identity"])


def identity_store() -> IdentityStore:
    return IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))


def points_reader() -> service.PointsReader:
    # Imported on use: only me_get reads points, and the other identity functions share this module.
    from earnloop.points.queries import balance_summary

    return balance_summary


def inbox_store() -> InboxStore:
    return InboxStore(aws.dynamodb(), get_settings().table_name("identity"))


Identity = Annotated[IdentityStore, Depends(identity_store)]
Inbox = Annotated[InboxStore, Depends(inbox_store)]
WeChat = Annotated[WeChatClient, Depends(default_client)]
Points = Annotated[service.PointsReader, Depends(points_reader)]


@router.post(
    "/v1/auth/login", name="auth_login", response_model=LoginResponse, summary="Log in with wx.login"
)
def auth_login(body: LoginRequest, store: Identity, wechat: WeChat, client_ip: SourceIp) -> LoginResponse:
    """Exchanges a `wx.login` code for a session token; registers the user on a first login. A
    banned user is refused (403 `forbidden`, `reason: "banned"`)."""
    now = utcnow()

    def rank_risk(user: User, is_new: bool) -> None:
        refresh_risk_rank(store, user, is_new=is_new, client_ip=client_ip, now=now)

    return service.login(
        body, store=store, wechat=wechat, is_local=get_settings().is_local, now=now, rank_risk=rank_risk
    )


@router.get("/v1/me", name="me_get", response_model=Me, summary="The caller's profile")
def me_get(principal: CurrentUser, store: Identity, points: Points, inbox: Inbox) -> Me:
    """Profile, top product tags, points balance and unread notifications of the caller."""

    def unread(user_id: str) -> int:
        return notifications_service.unread_count(inbox, user_id)

    return service.me(store, points, principal.user_id, utcnow(), unread=unread)


@router.patch("/v1/me", name="me_update", response_model=Profile, summary="Edit the caller's profile")
def me_update(body: ProfileUpdate, principal: CurrentUser, store: Identity) -> Profile:
    """Changes the nickname and/or avatar (a merge patch: `null` clears, fields not sent stay)."""
    hosts = avatar_hosts(get_settings().media_host)
    return service.update_me(store, principal.user_id, body, utcnow(), hosts)


@router.get(
    "/v1/notifications",
    name="notifications_list",
    response_model=NotificationsPage,
    response_model_exclude_none=True,
    summary="The caller's notifications",
)
def notifications_list(
    principal: CurrentUser,
    inbox: Inbox,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> NotificationsPage:
    """The caller's inbox, newest first, cursor-paged."""
    return notifications_service.page(inbox, principal.user_id, limit, cursor)


@router.post(
    "/v1/notifications/read",
    name="notifications_read",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Mark notifications read",
)
def notifications_read(body: MarkRead, principal: CurrentUser, inbox: Inbox) -> Response:
    """`{ids: [..]}` marks those (ids not in the caller's inbox are ignored); `{all: true}` marks
    everything the inbox holds now."""
    notifications_service.mark_read(inbox, principal.user_id, body, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Follows' routes themselves, not `include_router` (see content.api: the catalog must see each one).
router.routes.extend(follows_router.routes)
router.routes.extend(subscriptions_router.routes)
router.routes.extend(segments_router.routes)
router.routes.extend(sessions_router.routes)
router.routes.extend(privacy_router.routes)
router.routes.extend(bans_router.routes)
