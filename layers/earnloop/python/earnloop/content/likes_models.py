"""Shapes of likes: what `PUT`/`DELETE /v1/posts/{post_id}/like` answer."""

from __future__ import annotations

from pydantic import BaseModel


class LikeState(BaseModel):
    """Whether the caller likes the post now, and how many do."""

    liked: bool
    like_count: int
