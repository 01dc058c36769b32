"""HTTP routes of follows and public profiles (included by `identity.api`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status

from earnloop.identity import follows_service
from earnloop.identity.follows_models import FollowPage, PublicProfile
from earnloop.identity.follows_store import FollowStore
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings

router = APIRouter(tags=["identity"])


def follow_store() -> FollowStore:
    return FollowStore(aws.dynamodb(), get_settings().table_name("identity"))


Follows = Annotated[FollowStore, Depends(follow_store)]
UserPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
Limit = Annotated[int, Query(ge=1, le=50)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=512)]


@router.post(
    "/v1/users/{user_id}/follow",
    name="users_follow",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Follow a user",
)
def users_follow(user_id: UserPath, principal: CurrentUser, store: Follows) -> Response:
    """Idempotent: following someone already followed changes nothing. Following oneself is a 422."""
    follows_service.follow(store, principal.user_id, user_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/v1/users/{user_id}/follow",
    name="users_unfollow",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Unfollow a user",
)
def users_unfollow(user_id: UserPath, principal: CurrentUser, store: Follows) -> Response:
    """Idempotent: unfollowing someone not followed changes nothing."""
    follows_service.unfollow(store, principal.user_id, user_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/users/{user_id}", name="users_get", response_model=PublicProfile, summary="A user's profile")
def users_get(user_id: UserPath, principal: CurrentUser, store: Follows) -> PublicProfile:
    """Nickname, avatar, tier, follower and following counts, and whether the caller follows them."""
    return follows_service.profile(store, principal.user_id, user_id)


def _people(
    direction: Literal["followers", "following"],
    user_id: str,
    store: FollowStore,
    limit: int,
    cursor: str | None,
) -> FollowPage:
    return follows_service.people(store, user_id, direction, limit, cursor)


@router.get(
    "/v1/users/{user_id}/followers",
    name="users_followers",
    response_model=FollowPage,
    response_model_exclude_none=True,
    summary="A user's followers",
)
def users_followers(
    user_id: UserPath, principal: CurrentUser, store: Follows, limit: Limit = 20, cursor: Cursor = None
) -> FollowPage:
    """Cursor-paged, in user-id order."""
    return _people("followers", user_id, store, limit, cursor)


@router.get(
    "/v1/users/{user_id}/following",
    name="users_following",
    response_model=FollowPage,
    response_model_exclude_none=True,
    summary="Whom a user follows",
)
def users_following(
    user_id: UserPath, principal: CurrentUser, store: Follows, limit: Limit = 20, cursor: Cursor = None
) -> FollowPage:
    """Cursor-paged, in user-id order."""
    return _people("following", user_id, store, limit, cursor)
