"""The content part of a user's data export (`GET /v1/me/export`, identity/export.py): the posts the
user wrote and has not removed, the comments they wrote and the likes they gave, all through the
`by_author` index (the user's own partitions of it: `AUTHOR#`, `COMMENTER#`, `LIKER#`), with
presigned URLs of their posts' media renditions.

Likes and comments are bounded, newest first: `LIKES_MAX` likes come from the index keys alone
(post and time are in the key: two or three Queries for 20,000, about 1.4 MB of JSON); `COMMENTS_MAX`
comments need their items for the text (BatchGetItems of 100). A longer history is cut, and the
answer says so (`truncated`), so no export outgrows Lambda's 6 MB response or its 20 s
(docs/decisions.md, "Likes and shares of a deleted account, and their export").
"""

from __future__ import annotations

from typing import Any, NamedTuple

from earnloop.content.likes_store import LikesStore
from earnloop.content.media_serving import signed_url
from earnloop.content.posts_store import PostsStore

LIKES_MAX = 20_000
COMMENTS_MAX = 2_000


def export_posts(user_id: str, store: PostsStore | None = None) -> list[dict[str, Any]]:
    store = store or PostsStore.default()
    found: list[dict[str, Any]] = []
    for post_id in store.author_posts(user_id):
        post = store.get_post(post_id)
        # Removed meanwhile, or (index lag) someone else's: never in this user's export.
        if post is None or post.author_id != user_id or post.status == "removed":
            continue
        media = [
            {
                "media_id": m.media_id,
                "kind": m.kind,
                "status": m.status,
                "urls": {name: signed_url(key) for name, key in m.renditions.items()}
                if m.status == "ready" and m.renditions
                else None,
            }
            for m in post.media
        ]
        found.append(
            {
                "post_id": post.post_id,
                "text": post.text,
                "topics": post.topics,
                "sku": post.sku,
                "status": post.status,
                "created_at": post.created_at,
                "media": media,
            }
        )
    return found


class Bounded(NamedTuple):
    """A section cut at its bound, newest first; `truncated` when more exist."""

    items: list[dict[str, Any]]
    truncated: bool


def export_likes(user_id: str, likes: LikesStore | None = None) -> Bounded:
    """The posts the user likes now, newest first, at most `LIKES_MAX`."""
    given = (likes or LikesStore.default()).given(user_id, liked=True, limit=LIKES_MAX + 1)
    items = [{"post_id": like.post_id, "liked_at": like.at} for like in given[:LIKES_MAX]]
    return Bounded(items, len(given) > LIKES_MAX)


def export_comments(user_id: str, store: PostsStore | None = None) -> Bounded:
    """The comments the user wrote (not erased), newest first, at most `COMMENTS_MAX`."""
    comments = (store or PostsStore.default()).authored_comment_items(user_id, COMMENTS_MAX + 1)
    items = [
        {"comment_id": c.comment_id, "post_id": c.post_id, "text": c.text, "created_at": c.created_at}
        for c in comments[:COMMENTS_MAX]
    ]
    return Bounded(items, len(comments) > COMMENTS_MAX)
