"""The content part of a user's data export (`GET /v1/me/export`, identity/export.py): the posts the
user wrote and has not removed (index `by_author`), with presigned URLs of their media renditions."""

from __future__ import annotations

from typing import Any

from earnloop.content.media_serving import signed_url
from earnloop.content.posts_store import PostsStore


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
