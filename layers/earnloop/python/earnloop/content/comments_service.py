"""Comments: moderated like post text, paged oldest first, removed with their post.

The count. A comment is one transaction: its item (partition `COMMENTS#<post>`) and an `ADD 1` on
the post's small counter item `POSTSTATS#<post>` (never the post item, which is up to ~3 KB of
text and streams to every consumer on each write). A transactional write of an item under 1 KB
costs 2 WCU, so one comment costs 4 WCU in all, 2 of them on the counter's partition: the counter
saturates at 1,000 / 2 = 500 comments per second on one post, and the comments' own partition at the
same rate. A viral post in a mini-program of this size draws comments in the tens per second at its
peak (and `msgSecCheck` allows 4,000 checks a minute for the whole app, about 67 a second), so the
counter is never the limit; it stays exact (no lost or double counts) because the comment and
the increment commit together or not at all. Likes, which a crowd writes far faster, arrive with
their own sharded counter in the interactions issue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.posts_models import Author, Comment, CommentPage, CommentPublic
from earnloop.content.posts_service import Profiles, TextChecker, Viewer, pause, text_verdict, visible_to
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import NotFoundError, UnauthenticatedError, ValidationFailedError
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.content.posts_store import PostsStore
    from earnloop.risk.attempts import Attempt


# A comment's transaction shares its post's counter and its risk counters with other writers; a few
# jittered tries separate two that met (each try writes nothing unless it commits).
COMMIT_ATTEMPTS = 4


class CommentRefusedError(ValidationFailedError):
    """Content moderation did not pass the comment's text."""


def add_comment(
    store: PostsStore,
    profiles: Profiles,
    checker: TextChecker,
    post_id: str,
    user_id: str,
    text: str,
    now: datetime,
    attempt: Attempt | None = None,
) -> CommentPublic:
    """A new comment on a published post; the `attempt`'s risk counting rides in its transaction.

    Raises:
        NotFoundError: no such post, or it is not published.
        CommentRefusedError: moderation rejected the text or wants a person to look at it (a
            comment is refused rather than held: 422 with `errors[0].loc = ["body", "text"]`).
        UnauthenticatedError: the caller's user no longer exists.
    """
    post = store.get_post(post_id)
    if post is None or post.status != "published":
        raise NotFoundError("no such post")
    user = profiles.get_user(user_id)
    if user is None:
        raise UnauthenticatedError("the user no longer exists")
    verdict = text_verdict(checker, text, user.wx_openid)
    if verdict != "pass":
        logger.info("comment refused", extra={"post_id": post_id, "verdict": verdict})
        raise CommentRefusedError(
            "the comment was refused by content moderation",
            errors=[{"loc": ["body", "text"], "msg": "refused by content moderation"}],
        )
    comment = Comment(
        comment_id=new_id(),
        post_id=post_id,
        author=Author(id=user_id, nickname=user.nickname, avatar_url=user.avatar_url),
        text=text,
        created_at=iso(now),
    )
    counting = attempt.actions() if attempt else ()
    for tried in range(COMMIT_ATTEMPTS):
        try:
            store.add_comment(comment, post.author_id, counting)
            break
        except TransactionConflictError:
            # Another comment on the post (its counter) or another attempt of the same user, device
            # or IP (their risk counters) was in flight: nothing was written; try again.
            if tried + 1 == COMMIT_ATTEMPTS:
                raise
            pause(tried)
    if attempt:
        attempt.counted()
    return CommentPublic.model_validate(comment.model_dump())


def list_comments(
    store: PostsStore, post_id: str, viewer: Viewer, limit: int, cursor: str | None
) -> CommentPage:
    """A page of the post's comments, oldest first.

    Raises:
        NotFoundError: no such post, or not visible to the viewer.
        ValidationFailedError: a cursor this query did not issue.
    """
    post = store.get_post(post_id)
    if post is None or not visible_to(post, viewer):
        raise NotFoundError("no such post")
    comments, next_cursor = store.comments(post_id, limit, cursor)
    return CommentPage(
        items=[CommentPublic.model_validate(c.model_dump()) for c in comments], next_cursor=next_cursor
    )
