"""The content table's pending effects (platform/outbox_sweep.py), and the sweep that republishes
them.

A post's earn (`post_earn`): the transaction that first publishes a post also puts a marker item
`POST#<post>` / `OUTBOX#post_earn` holding a copy of its `PostPublished`. The points worker credits
`post#<post>`; its `PointsChanged` (rule `post-earned-to-posts`) reaches the posts worker, which
confirms the marker. A marker still pending after `POST_EARN.delay` is touched by
`content_outbox_sweep` (every 15 minutes) and the stream publisher derives the copy again; a post
that leaves `published` (review, takedown, removal) deletes its marker in the same write, so a post
no longer public is never republished. An earn that never comes by design (over the daily cap, the
rule off, taken down first) is given up after `max_sweeps`.

Other areas of the content table add their `Sweep` to `SWEEPS` (likes, comments).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from earnloop.content.earn_sweeps import COMMENT_EARN, LIKE_EARN
from earnloop.platform import aws
from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import TxAction, marshal
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.outbox_sweep import OutboxSweeper, Sweep, pending_event_item
from earnloop.platform.scheduled import due_time
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.content.posts_events import PostPublished

POST_EARN = Sweep("post_earn", delay=timedelta(minutes=30), max_sweeps=3)
# Every kind of pending effect on the content table, swept by `content_outbox_sweep`.
SWEEPS: tuple[Sweep, ...] = (POST_EARN, LIKE_EARN, COMMENT_EARN)
POST_TXN_PREFIX = "post#"


def outbox_key(post_id: str, sweep: Sweep) -> dict[str, str]:
    return {"pk": f"POST#{post_id}", "sk": f"OUTBOX#{sweep.kind}"}


def post_earn_marker(table: str, event: PostPublished) -> TxAction:
    """The marker put with a post's first publication (a Put: the first publication happens once)."""
    item = pending_event_item(
        outbox_key(event.post_id, POST_EARN), POST_EARN, event.post_id, event, parse_iso(event.published_at)
    )
    return TxAction({"Put": {"TableName": table, "Item": marshal(item)}})


def post_earn_dropped(table: str, post_id: str) -> TxAction:
    """Deletes the marker of a post that is no longer published (nothing when there is none)."""
    return TxAction({"Delete": {"TableName": table, "Key": marshal(outbox_key(post_id, POST_EARN))}})


class PointsChanged(DomainEvent):
    """From the points context: a ledger entry (only the fields read here)."""

    source = "earnloop.points"
    detail_type = "PointsChanged"

    txn_id: str
    user_id: str
    reference: str | None = None


def sweeper() -> OutboxSweeper:
    return OutboxSweeper(aws.dynamodb(), get_settings().table_name("content"))


def post_earned(event: PointsChanged, outbox: OutboxSweeper | None = None) -> None:
    """The post's earn arrived: its marker leaves the outbox index (a redelivery changes nothing)."""
    if not event.txn_id.startswith(POST_TXN_PREFIX):
        logger.warning("points change not for this worker", extra={"txn_id": event.txn_id})
        return
    post_id = event.txn_id.removeprefix(POST_TXN_PREFIX)
    confirmed = (outbox or sweeper()).confirm(outbox_key(post_id, POST_EARN))
    logger.info("post earn confirmed", extra={"post_id": post_id, "marker": confirmed})


def sweep_outbox(event: dict[str, Any]) -> dict[str, int]:
    return sweeper().sweep_all(SWEEPS, due_time(event))


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`content_outbox_sweep`: republishes the content table's events whose effect has not arrived."""
    return sweep_outbox(event)
