"""A user's data export (`GET /v1/me/export`, issue 10, PIPL), assembled in one response.

Each context reads its own table through its own module (`points/export.py`, `content/export.py`,
`mall/export.py`, `sharing/export.py`), as `/v1/me` reads the balance through `points.queries`: the
`me_export` function holds read grants on those tables, no context reads another's keys, and every read is a
paged Query of the user's own partition or index (no scans). The identity part is here: the
profile, tags, follows both ways and the inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from earnloop.identity.follows_store import FOLLOWER_PREFIX, FOLLOWING_PREFIX, FollowStore
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.store import IdentityStore
from earnloop.platform.errors import UnauthenticatedError

PAGE = 50
NOTES_PAGE = 100


class AccountExport(BaseModel):
    """`GET /v1/me/export`: everything the platform holds about the caller."""

    user_id: str
    exported_at: str
    profile: dict[str, Any] = Field(description="The stored profile, WeChat openid and unionid included")
    tags: list[dict[str, Any]] = Field(description="Product and reward tags counted on the profile")
    following: list[dict[str, Any]] = Field(description="Whom the user follows, since when")
    followers: list[dict[str, Any]] = Field(description="Who follows the user, since when")
    notifications: list[dict[str, Any]] = Field(description="The inbox, newest first")
    points: dict[str, Any] = Field(description="`account` and the whole ledger `history`, oldest first")
    posts: list[dict[str, Any]] = Field(description="Posts not removed, with presigned media URLs")
    comments: list[dict[str, Any]] = Field(
        description="Comments written (`comment_id`, `post_id`, `text`, `created_at`), newest first, "
        "at most 2,000"
    )
    likes: list[dict[str, Any]] = Field(
        description="Posts liked now (`post_id`, `liked_at`), newest first, at most 20,000"
    )
    orders: list[dict[str, Any]] = Field(description="Redemptions, newest first, with their addresses")
    sharing: dict[str, Any] = Field(
        description="`referral`: who referred the user (or why not); `openings`: shares they opened; "
        "`shares`: shares they made"
    )
    truncated: list[str] = Field(
        default_factory=list,
        description="Sections cut at their bound (`comments`, `likes`): older ones exist",
    )


Section = Callable[[str], Any]


def export(
    user_id: str,
    exported_at: str,
    *,
    store: IdentityStore,
    follows: FollowStore,
    inbox: InboxStore,
    points: Section,
    posts: Section,
    comments: Section,
    likes: Section,
    orders: Section,
    sharing: Section,
) -> AccountExport:
    """Raises:
    UnauthenticatedError: the token's user no longer exists (a deleted account exports nothing).
    """
    user = store.get_user(user_id)
    if user is None:
        raise UnauthenticatedError("the token's user no longer exists")
    # Bounded sections (content/export.py): `.items`, newest first, and whether older ones exist.
    bounded = {"comments": comments(user_id), "likes": likes(user_id)}
    return AccountExport(
        user_id=user_id,
        exported_at=exported_at,
        profile=user.model_dump(mode="json", exclude_none=True),
        tags=[tag.model_dump(mode="json") for tag in store.tags(user_id)],
        following=_edges(follows, user_id, FOLLOWING_PREFIX, "followee_id"),
        followers=_edges(follows, user_id, FOLLOWER_PREFIX, "follower_id"),
        notifications=_notes(inbox, user_id),
        points=points(user_id),
        posts=posts(user_id),
        comments=bounded["comments"].items,
        likes=bounded["likes"].items,
        orders=orders(user_id),
        sharing=sharing(user_id),
        truncated=[name for name, section in bounded.items() if section.truncated],
    )


def _edges(follows: FollowStore, user_id: str, prefix: str, other: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        edges, cursor = follows.page(user_id, prefix, PAGE, cursor)
        found += [{"user_id": getattr(edge, other), "followed_at": edge.followed_at} for edge in edges]
        if cursor is None:
            return found


def _notes(inbox: InboxStore, user_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        notes, cursor = inbox.page(user_id, NOTES_PAGE, cursor)
        found += [note.model_dump(mode="json", exclude_none=True) for note in notes]
        if cursor is None:
            return found
