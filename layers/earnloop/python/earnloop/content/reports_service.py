"""Reports: readers flag a post; enough distinct reporters send a published post back to review.

A report is one transaction: the reporter's `REPORT#<reporter>` item (its condition makes reporters
distinct) and the post, its count raised and, at the threshold, its status `in_review`, written on
the version read. A second report by the same reader changes nothing and is still 202.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.content.posts_service import ATTEMPTS, Viewer, pause, visible_to
from earnloop.content.posts_store import AlreadyReportedError, StalePostError
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError, ForbiddenError, NotFoundError
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.content.posts_store import PostsStore


def report_post(
    store: PostsStore, post_id: str, reporter: str, reason: str, threshold: int, now: datetime
) -> bool:
    """Records the report; True if this one sent the post to review.

    Raises:
        NotFoundError: no such post, or not visible to the reporter.
        ForbiddenError: the author reporting their own post.
        ConcurrencyError: every attempt lost its race.
    """
    for attempt in range(ATTEMPTS):
        post = store.get_post(post_id, consistent=True)
        if post is None or not visible_to(post, Viewer(reporter)):
            raise NotFoundError("no such post")
        if post.author_id == reporter:
            raise ForbiddenError("you cannot report your own post")
        count = post.report_count + 1
        update: dict[str, object] = {"report_count": count, "version": post.version + 1}
        to_review = post.status == "published" and count >= threshold
        if to_review:
            update |= {"status": "in_review", "reason": "reports", "in_review_since": iso(now)}
        try:
            store.report(post.model_copy(update=update), post.version, reporter, reason, iso(now))
        except AlreadyReportedError:
            return False
        except (StalePostError, TransactionConflictError):
            pause(attempt)
            continue
        logger.info("post reported", extra={"post_id": post_id, "reports": count, "to_review": to_review})
        return to_review
    raise ConcurrencyError("the post is busy, please retry")
