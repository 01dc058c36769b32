"""Moderation outcomes an admin decides: the queue of posts in review, approve, reject.

Rejecting a post that had been published (and was reported into review, or is still up) is a
takedown: the deriver emits `PostTakenDown` beside `PostRejected`, and the points worker claws back
what the post earned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.posts_models import ModerationItem, ModerationPage, Post
from earnloop.content.posts_service import change_post, public_media
from earnloop.platform.clock import iso
from earnloop.platform.errors import NotFoundError
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from earnloop.content.posts_store import PostsStore
    from earnloop.platform.audit import AuditOf
    from earnloop.platform.dynamo import TxAction


def status_audit(audit: AuditOf | None) -> Callable[[Post, Post], Sequence[TxAction]]:
    """The audit record of an admin's decision on a post: its status before and after (never its
    text or its author's details)."""

    def record(post: Post, changed: Post) -> Sequence[TxAction]:
        if audit is None:
            return ()
        before, after = {"status": post.status}, {"status": changed.status}
        return (audit.put(post.post_id, before=before, after=after),)

    return record


def moderation_queue(
    store: PostsStore, limit: int, cursor: str | None, urls: Callable[[Mapping[str, str]], dict[str, str]]
) -> ModerationPage:
    """Posts waiting for an admin, longest waiting first (one query on a sparse index).

    Raises:
        ValidationFailedError: a cursor this query did not issue.
    """
    found, next_cursor = store.in_review(limit, cursor)
    items = [
        ModerationItem(
            post_id=post.post_id,
            author=post.author,
            text=post.text,
            media=public_media(post, urls),
            topics=post.topics,
            reason=post.reason,
            report_count=post.report_count,
            created_at=post.created_at,
            in_review_since=since,
        )
        for post, since in found
    ]
    return ModerationPage(items=items, next_cursor=next_cursor)


def approve(
    store: PostsStore,
    post_id: str,
    admin_id: str,
    now: datetime,
    checks: Sequence[TxAction] = (),
    audit: AuditOf | None = None,
) -> Post:
    """Publishes a post in review; its reports are counted afresh from now. Approving a published
    post changes (and records) nothing. `checks` go into the write (the admin still is one), with
    the `audit` record of the decision.

    Raises:
        whatever a failed check raises.
        NotFoundError: no such post, or it is not in review or published (pending, rejected, removed).
    """

    def decide(post: Post) -> Post | None:
        if post.status == "published":
            return None
        if post.status != "in_review":
            raise NotFoundError("no such post in review")
        return post.model_copy(
            update={
                "status": "published",
                "reason": None,
                "approved": True,
                "report_count": 0,
                "in_review_since": None,
                "published_at": post.published_at or iso(now),
            }
        )

    post = change_post(store, post_id, decide, checks=checks, decided=status_audit(audit))
    assert post is not None
    logger.info("post approved", extra={"post_id": post_id, "admin_id": admin_id})
    return post


def reject(
    store: PostsStore,
    post_id: str,
    admin_id: str,
    reason: str | None,
    now: datetime,
    checks: Sequence[TxAction] = (),
    audit: AuditOf | None = None,
) -> Post:
    """Rejects a post in review, pending or published (a published one is taken down). Rejecting a
    rejected post changes (and records) nothing. `checks` go into the write (the admin still is
    one), with the `audit` record of the decision.

    Raises:
        whatever a failed check raises.
        NotFoundError: no such post, or it was removed.
    """

    def decide(post: Post) -> Post | None:
        if post.status == "rejected":
            return None
        if post.status == "removed":
            raise NotFoundError("no such post")
        return post.model_copy(
            update={"status": "rejected", "reason": reason or "admin", "in_review_since": None}
        )

    post = change_post(store, post_id, decide, checks=checks, decided=status_audit(audit))
    assert post is not None
    logger.info("post rejected", extra={"post_id": post_id, "admin_id": admin_id, "at": iso(now)})
    return post
