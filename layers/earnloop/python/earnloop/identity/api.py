"""HTTP routes of the identity context."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from earnloop.identity import service
from earnloop.identity.avatars import avatar_hosts
from earnloop.identity.models import LoginRequest, LoginResponse, Me, Profile, ProfileUpdate
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.platform.wechat import WeChatClient, default_client

router = APIRouter(tags=["identity"])


def identity_store() -> IdentityStore:
    return IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))


def points_reader() -> service.PointsReader:
    # Imported on use: only me_get reads points, and the other identity functions share this module.
    from earnloop.points.queries import balance_summary

    return balance_summary


Identity = Annotated[IdentityStore, Depends(identity_store)]
WeChat = Annotated[WeChatClient, Depends(default_client)]
Points = Annotated[service.PointsReader, Depends(points_reader)]


@router.post(
    "/v1/auth/login", name="auth_login", response_model=LoginResponse, summary="Log in with wx.login"
)
def auth_login(body: LoginRequest, store: Identity, wechat: WeChat) -> LoginResponse:
    """Exchanges a `wx.login` code for a session token; registers the user on a first login."""
    return service.login(body, store=store, wechat=wechat, is_local=get_settings().is_local, now=utcnow())


@router.get("/v1/me", name="me_get", response_model=Me, summary="The caller's profile")
def me_get(principal: CurrentUser, store: Identity, points: Points) -> Me:
    """Profile, top product tags and points balance of the caller."""
    return service.me(store, points, principal.user_id, utcnow())


@router.patch("/v1/me", name="me_update", response_model=Profile, summary="Edit the caller's profile")
def me_update(body: ProfileUpdate, principal: CurrentUser, store: Identity) -> Profile:
    """Changes the nickname and/or avatar (a merge patch: `null` clears, fields not sent stay)."""
    hosts = avatar_hosts(get_settings().media_host)
    return service.update_me(store, principal.user_id, body, utcnow(), hosts)
