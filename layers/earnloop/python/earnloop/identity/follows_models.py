"""Shapes of follows: the stored edge, a list's rows and pages, and a user's public profile."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from earnloop.identity.models import Tier

# User ids are ULIDs; anything else in a path cannot name a user (and never reaches a key).
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,64}$")]


class FollowEdge(BaseModel):
    """A stored `FOLLOWING#` or `FOLLOWER#` item."""

    follower_id: str
    followee_id: str
    followed_at: str


class FollowRow(BaseModel):
    """One person in a followers or following list."""

    id: str
    nickname: str | None
    avatar_url: str | None
    followed_at: str = Field(description="When the follow began")


class FollowPage(BaseModel):
    """`GET /v1/users/{user_id}/followers` and `.../following`: in user-id order; `next_cursor` is
    absent on the last page."""

    items: list[FollowRow]
    next_cursor: str | None = None


class PublicProfile(BaseModel):
    """`GET /v1/users/{user_id}`: what anyone may see of a user."""

    id: str
    nickname: str | None
    avatar_url: str | None
    tier: Tier
    followers: int
    following: int
    followed: bool = Field(description="Whether the caller follows this user")
