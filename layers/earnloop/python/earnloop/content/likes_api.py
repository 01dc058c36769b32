"""HTTP routes of likes: like and unlike a post (idempotent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from earnloop.content import likes_service
from earnloop.content.likes_models import LikeState
from earnloop.content.likes_store import LikesStore
from earnloop.content.posts_api import PostId, Store
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow

router = APIRouter(tags=["content"])


def likes_store() -> LikesStore:
    return LikesStore.default()


Likes = Annotated[LikesStore, Depends(likes_store)]


@router.put(
    "/v1/posts/{post_id}/like",
    name="posts_like",
    response_model=LikeState,
    summary="Like a published post (repeating it changes nothing)",
)
def posts_like(post_id: PostId, user: CurrentUser, store: Store, likes: Likes) -> LikeState:
    return likes_service.set_like(store, likes, post_id, user.user_id, True, utcnow())


@router.delete(
    "/v1/posts/{post_id}/like",
    name="posts_unlike",
    response_model=LikeState,
    summary="Take back a like (repeating it changes nothing)",
)
def posts_unlike(post_id: PostId, user: CurrentUser, store: Store, likes: Likes) -> LikeState:
    return likes_service.set_like(store, likes, post_id, user.user_id, False, utcnow())
