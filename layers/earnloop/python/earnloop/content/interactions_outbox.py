"""Likes' and comments' pending earns (platform/outbox_sweep.py; issue 8.6): a like or a comment
whose earn has not arrived after the delay is republished.

- A first like of a post by someone other than its author carries the marker attributes on its
  like item (`like_earn`, content/earn_sweeps.py); the liker's `like_given`
  entry (`PointsChanged`, txn `like_given#<post>#<liker>`) confirms it. A like again after an
  unlike is not marked: it earns nothing new.
- A comment on someone else's post carries the marker on its comment item (`comment_earn`);
  its `comment#<comment>` entry confirms it (the entry's `reference` is the post).

`content_outbox_sweep` touches what is due; the deriver sees the touch (`was_swept`) and derives
`PostLiked` / `CommentAdded` again. The points worker pays each once whatever it receives (guards
and txn ids); an earn that never comes (over the daily cap, the rule off) is given up after
`max_sweeps`, like a post's.
"""

from __future__ import annotations

from earnloop.content.likes_store import like_key
from earnloop.content.posts_store import comment_key
from earnloop.platform import aws
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.outbox_sweep import OutboxSweeper
from earnloop.platform.settings import get_settings

LIKE_TXN_PREFIX = "like_given#"
COMMENT_TXN_PREFIX = "comment#"


class EarnArrived(DomainEvent):
    """From the points context: a ledger entry of a like or a comment (only the fields read here)."""

    source = "earnloop.points"
    detail_type = "PointsChanged"

    txn_id: str
    user_id: str
    reference: str | None = None


def _sweeper() -> OutboxSweeper:
    return OutboxSweeper(aws.dynamodb(), get_settings().table_name("content"))


def earn_arrived(event: EarnArrived, outbox: OutboxSweeper | None = None) -> bool:
    """Confirms the like's or the comment's marker; False for any other entry (not ours)."""
    if event.txn_id.startswith(LIKE_TXN_PREFIX):
        post_id, _, liker = event.txn_id.removeprefix(LIKE_TXN_PREFIX).partition("#")
        confirmed = (outbox or _sweeper()).confirm(like_key(post_id, liker))
    elif event.txn_id.startswith(COMMENT_TXN_PREFIX) and event.reference:
        comment_id = event.txn_id.removeprefix(COMMENT_TXN_PREFIX)
        confirmed = (outbox or _sweeper()).confirm(comment_key(event.reference, comment_id))
    else:
        return False
    logger.info("interaction earn confirmed", extra={"txn_id": event.txn_id, "marker": confirmed})
    return True
