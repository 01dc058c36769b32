"""HTTP routes of likes: like and unlike a post (idempotent), each an attempt of the `like` limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from earnloop.content import likes_service
from earnloop.content.likes_models import LikeState
from earnloop.content.likes_store import LikesStore
from earnloop.content.posts_api import ContentLimiter, PostId, Store
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.risk.attempts import CallerDep, Limiter, Limits

router = APIRouter(tags=["content"])


def likes_store() -> LikesStore:
    return LikesStore.default()


Likes = Annotated[LikesStore, Depends(likes_store)]


def like_limits() -> Limits:
    settings = get_settings()
    return Limits(settings.likes_per_hour, settings.likes_per_hour_per_device, settings.likes_per_hour_per_ip)


def _set_like(
    post_id: str, user_id: str, liked: bool, store: Store, likes: Likes, limiter: Limiter, who: CallerDep
) -> LikeState:
    # A like and an unlike are both attempts of `like`: a toggle storm is the farming pattern.
    now = utcnow()
    with limiter.attempt("like", user_id, who, like_limits(), now) as attempt:
        return likes_service.set_like(store, likes, post_id, user_id, liked, now, attempt=attempt)


@router.put(
    "/v1/posts/{post_id}/like",
    name="posts_like",
    response_model=LikeState,
    summary="Like a published post (repeating it changes nothing)",
)
def posts_like(
    post_id: PostId, user: CurrentUser, store: Store, likes: Likes, limiter: ContentLimiter, who: CallerDep
) -> LikeState:
    return _set_like(post_id, user.user_id, True, store, likes, limiter, who)


@router.delete(
    "/v1/posts/{post_id}/like",
    name="posts_unlike",
    response_model=LikeState,
    summary="Take back a like (repeating it changes nothing)",
)
def posts_unlike(
    post_id: PostId, user: CurrentUser, store: Store, likes: Likes, limiter: ContentLimiter, who: CallerDep
) -> LikeState:
    return _set_like(post_id, user.user_id, False, store, likes, limiter, who)
