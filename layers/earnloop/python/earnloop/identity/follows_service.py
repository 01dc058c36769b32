"""Use cases of follows: follow, unfollow (idempotent, one transaction each), the lists and a public
profile. The store is passed in; no FastAPI here."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from earnloop.identity.follows_models import FollowEdge, FollowPage, FollowRow, PublicProfile
from earnloop.identity.follows_store import (
    FOLLOWER_PREFIX,
    FOLLOWING_PREFIX,
    TOMBSTONE_TTL,
    AlreadyDoneError,
)
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError, NotFoundError, ValidationFailedError
from earnloop.platform.observability import logger, metrics

if TYPE_CHECKING:
    from collections.abc import Sequence

    from earnloop.identity.models import User

# A follow that collides with a simultaneous command on the same pair is tried again this often;
# the other command has committed by then, and the conditions decide.
ATTEMPTS = 3


class FollowRepository(Protocol):
    def follow(self, follower_id: str, followee_id: str, followed_at: str) -> None: ...
    def unfollow(self, follower_id: str, followee_id: str, unfollowed_at: str, expires_at: int) -> None: ...
    def follows(self, follower_id: str, followee_id: str) -> bool: ...
    def page(
        self, user_id: str, prefix: str, limit: int, cursor: str | None
    ) -> tuple[list[FollowEdge], str | None]: ...
    def users(self, user_ids: Sequence[str]) -> dict[str, User]: ...


def _not_self(follower_id: str, followee_id: str) -> None:
    if follower_id == followee_id:
        raise ValidationFailedError(
            "you cannot follow yourself",
            errors=[{"loc": ["path", "user_id"], "msg": "is the caller"}],
        )


def follow(store: FollowRepository, follower_id: str, followee_id: str, now: datetime) -> bool:
    """Starts following; a repeat changes nothing. Returns whether this call followed.

    Raises:
        ValidationFailedError: the caller named themselves.
        NotFoundError: no such user.
        ConcurrencyError: simultaneous commands on the same pair kept colliding.
    """
    _not_self(follower_id, followee_id)
    for _ in range(ATTEMPTS):
        try:
            store.follow(follower_id, followee_id, iso(now))
        except AlreadyDoneError:
            return False
        except TransactionConflictError:
            continue
        logger.info("user followed", extra={"user_id": follower_id, "followee_id": followee_id})
        metrics.add_metric(name="Follows", unit="Count", value=1)
        return True
    raise ConcurrencyError("follow raced another change, please retry")


def unfollow(store: FollowRepository, follower_id: str, followee_id: str, now: datetime) -> bool:
    """Stops following; not following already changes nothing. Returns whether this call unfollowed.

    Raises:
        ValidationFailedError: the caller named themselves.
        ConcurrencyError: simultaneous commands on the same pair kept colliding.
    """
    _not_self(follower_id, followee_id)
    expires_at = int((now + TOMBSTONE_TTL).timestamp())
    for _ in range(ATTEMPTS):
        try:
            store.unfollow(follower_id, followee_id, iso(now), expires_at)
        except AlreadyDoneError:
            return False
        except TransactionConflictError:
            continue
        logger.info("user unfollowed", extra={"user_id": follower_id, "followee_id": followee_id})
        return True
    raise ConcurrencyError("unfollow raced another change, please retry")


def people(
    store: FollowRepository,
    user_id: str,
    direction: Literal["followers", "following"],
    limit: int,
    cursor: str | None,
) -> FollowPage:
    """A page of the user's followers or of those they follow, with each one's nickname and avatar
    (one query and one BatchGetItem of at most `limit` profiles).

    Raises:
        ValidationFailedError: the cursor is not one we issued for this list.
    """
    prefix = FOLLOWER_PREFIX if direction == "followers" else FOLLOWING_PREFIX
    edges, next_cursor = store.page(user_id, prefix, limit, cursor)
    others = [edge.follower_id if direction == "followers" else edge.followee_id for edge in edges]
    profiles = store.users(others)
    rows = [
        FollowRow(
            id=other,
            nickname=profiles[other].nickname if other in profiles else None,
            avatar_url=profiles[other].avatar_url if other in profiles else None,
            followed_at=edge.followed_at,
        )
        for edge, other in zip(edges, others, strict=True)
    ]
    return FollowPage(items=rows, next_cursor=next_cursor)


def profile(store: FollowRepository, viewer_id: str, user_id: str) -> PublicProfile:
    """What the viewer may see of a user: profile, counts, and whether the viewer follows them.

    Raises:
        NotFoundError: no such user.
    """
    user = store.users([user_id]).get(user_id)
    if user is None:
        raise NotFoundError("no such user")
    followed = viewer_id != user_id and store.follows(viewer_id, user_id)
    return PublicProfile(
        id=user.user_id,
        nickname=user.nickname,
        avatar_url=user.avatar_url,
        tier=user.tier,
        followers=max(0, user.follower_count),
        following=max(0, user.following_count),
        followed=followed,
    )
