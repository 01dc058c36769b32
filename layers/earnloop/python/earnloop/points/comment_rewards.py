"""Points for commenting (issue 9): the commenter earns the `comment` rule once per comment (txn
`comment#<comment>`), within its daily cap. A comment on one's own post earns nothing, as a self-like
does not: points reward taking part in someone else's post, not talking to oneself."""

from __future__ import annotations

from earnloop.platform.clock import parse_iso, utcnow
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.points.earning_rules import rule_command
from earnloop.points.service import Ledger

COMMENT = "comment"


class CommentAdded(DomainEvent):
    """From the content context (only the fields read here). `occurred_at` is the commit time the
    publisher adds to every event."""

    source = "earnloop.content"
    detail_type = "CommentAdded"

    post_id: str
    comment_id: str
    author_id: str
    post_author_id: str
    occurred_at: str | None = None


def comment_txn_id(comment_id: str) -> str:
    return f"comment#{comment_id}"


def earn_for_comment(event: CommentAdded, ledger: Ledger | None = None) -> None:
    if event.author_id == event.post_author_id:
        logger.info("a comment on one's own post earns nothing", extra={"comment_id": event.comment_id})
        return
    command = rule_command(
        COMMENT,
        txn_id=comment_txn_id(event.comment_id),
        user_id=event.author_id,
        reason="comment",
        reference=event.post_id,
        occurred_at=parse_iso(event.occurred_at) if event.occurred_at else None,
    )
    if command is None:
        return
    try:
        outcome = (ledger or Ledger.default()).credit(command, utcnow())
    except LimitReachedError:
        logger.info("comment earn over the daily cap", extra={"comment_id": event.comment_id})
        return
    logger.info("comment earn", extra={"comment_id": event.comment_id, "outcome": outcome.status})
