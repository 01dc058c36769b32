"""Points for likes (issue 9): the liker earns `like_given`, the post's author `like_received`,
each once per (post, liker) however often the user unlikes and likes again; self-likes earn nothing.

The liker's earn is credited at once (txn `like_given#<post>#<liker>`, within the rule's cap): one
person likes at human speed, so their account is never crowded.

The author's earns are aggregated, because a crowd writes them: a viral author's account would take
thousands of version-matched ledger writes a second, each losing its race to the others. The worker
only records the like as owed (`points/like_pay_store.py`: a guard per (post, liker) and a pending
item in the current minute, one transaction); `points_like_pay` (every minute) credits each author
once per closed minute with txn `like_received#<author>#<minute>`: the likes of that minute times the
rule's points, cut to what the daily cap still allows. An author's account thus takes at most one
`like_received` write a minute, whatever the crowd. The arithmetic is in docs/decisions.md, "Likes".
"""

from __future__ import annotations

from earnloop.platform.clock import parse_iso, utcnow
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.points.earning_rules import rule_command
from earnloop.points.like_pay_store import LikePayStore
from earnloop.points.service import Ledger

LIKE_GIVEN = "like_given"


class PostLiked(DomainEvent):
    """From the content context (content/likes_events.py; only the fields read here)."""

    source = "earnloop.content"
    detail_type = "PostLiked"

    post_id: str
    user_id: str
    post_author_id: str
    liked_at: str


def like_given_txn_id(post_id: str, liker_id: str) -> str:
    return f"like_given#{post_id}#{liker_id}"


def earn_for_like(event: PostLiked, ledger: Ledger | None = None, owed: LikePayStore | None = None) -> None:
    """The liker's `like_given` now; the author's like recorded as owed for the minute flush."""
    if event.user_id == event.post_author_id:
        logger.info("self-like earns nothing", extra={"post_id": event.post_id})
        return
    recorded = (owed or LikePayStore.default()).record(
        event.post_author_id, event.post_id, event.user_id, utcnow()
    )
    command = rule_command(
        LIKE_GIVEN,
        txn_id=like_given_txn_id(event.post_id, event.user_id),
        user_id=event.user_id,
        reason="like given",
        reference=event.post_id,
        occurred_at=parse_iso(event.liked_at),
    )
    status = "rule off"
    if command is not None:
        try:
            status = (ledger or Ledger.default()).credit(command, utcnow()).status
        except LimitReachedError:
            status = "over the daily cap"
    logger.info("like earn", extra={"post_id": event.post_id, "given": status, "owed_to_author": recorded})
