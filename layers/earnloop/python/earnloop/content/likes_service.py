"""Likes: `PUT`/`DELETE /v1/posts/{post_id}/like`, idempotent, on published posts only.

A like is one transaction (the like item and its shard's count, `likes_store`); repeating either
call writes nothing and answers the same. The post is read through a short per-container cache
(published posts only): a viral post's likes would otherwise read its one item thousands of times
a second. The cost of the cache: for up to `POST_CACHE_S` after a post is hidden, a container that
saw it published still takes likes on it; they count nowhere a reader sees (the post is hidden) and
earn what any like earns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.likes_models import LikeState
from earnloop.content.likes_store import LikesStore, shard_of
from earnloop.content.posts_service import pause
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError, NotFoundError
from earnloop.platform.observability import logger
from earnloop.platform.ttl_cache import TtlCache

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from earnloop.content.posts_models import Post
    from earnloop.content.posts_store import PostsStore
    from earnloop.risk.attempts import Attempt

POST_CACHE_S = 5.0
# Two likers of one shard collide only while both transactions are in flight; a few jittered
# attempts separate them (DynamoDB Local storm test: no attempt limit was ever reached).
MAX_ATTEMPTS = 8

_posts: TtlCache[Post] = TtlCache(POST_CACHE_S, max_entries=512)


def likeable_post(posts: PostsStore, post_id: str) -> Post:
    """The published post, from the cache when seen published in the last `POST_CACHE_S`.

    Raises:
        NotFoundError: no such post, or it is not published.
    """
    post = _posts.get(post_id, posts.get_post, keep=lambda p: p.status == "published")
    if post is None or post.status != "published":
        raise NotFoundError("no such post")
    return post


def set_like(
    posts: PostsStore,
    likes: LikesStore,
    post_id: str,
    user_id: str,
    liked: bool,
    now: datetime,
    wait: Callable[[int], None] = pause,
    attempt: Attempt | None = None,
) -> LikeState:
    """Likes (`liked`) or unlikes the post for the user; a repeat changes nothing. A self-like
    counts like any other (it earns nothing: points/like_rewards.py). The `attempt`'s risk
    counting rides in the like's transaction (a repeat, which writes nothing, leaves it uncounted).

    Raises:
        NotFoundError: no such post, or it is not published.
        ConcurrencyError: every attempt collided with another like of the same shard.
    """
    post = likeable_post(posts, post_id)
    counting = attempt.actions() if attempt else []
    for tried in range(MAX_ATTEMPTS):
        try:
            changed = likes.set_like(post_id, user_id, post.author_id, liked, now, counting)
            break
        except TransactionConflictError:
            if tried + 1 < MAX_ATTEMPTS:
                wait(tried)
    else:
        logger.warning("like gave up after collisions", extra={"post_id": post_id})
        raise ConcurrencyError("the post is busy, please retry")
    if changed and attempt:
        attempt.counted()
    logger.info("like", extra={"post_id": post_id, "liked": liked, "changed": changed})
    return LikeState(liked=liked, like_count=likes.count(post_id, fresh_shard=shard_of(user_id)))
