"""The likes counter of feed cards (`likes_count`, queue `likes`): keeps each post's feed card
`like_count` equal to the sum of its like shards, so feed pages stay one Query.

Each `PostLiked`/`PostUnliked` sets the card's count to the shards' sum as read now (absolute, not
`ADD`): a redelivered, reordered or lost event leaves nothing wrong once any later one is handled,
and no per-event guard is written. The card is written only when the count changed, with `ADD
version 1` so that a feed write racing it (conditioned on the version it read) re-reads instead of
putting back an older count. The card's writes are bounded by this worker's copies (at most
`max_concurrency`, docs/decisions.md "Likes"), not by the crowd: a viral post's likes queue up and
its card catches up a moment later. Topic copies and follow inboxes keep the count of their
publish moment, as they do for comments' counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.content.feed_keys import CARD_ENTITY, card_key
from earnloop.content.likes_events import PostLiked, PostUnliked
from earnloop.content.likes_store import LikesStore
from earnloop.platform import aws
from earnloop.platform.dynamo import is_condition_failure, marshal
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def set_card_count(ddb: DynamoDBClient, table: str, post_id: str, count: int) -> bool:
    """Sets the card's like count; False when it already shows `count`. Likes that overtake the
    post's `PostPublished` make a card holding counts only, which the publish completes (as a
    comment's count does: feed_store.count)."""
    try:
        ddb.update_item(
            TableName=table,
            Key=marshal(card_key(post_id)),
            UpdateExpression="SET entity = :entity, post_id = :post, like_count = :count ADD version :one",
            ConditionExpression="attribute_not_exists(like_count) OR like_count <> :count",
            ExpressionAttributeValues=marshal(
                {":entity": CARD_ENTITY, ":post": post_id, ":count": count, ":one": 1}
            ),
        )
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def refresh(event: PostLiked | PostUnliked, likes: LikesStore | None = None) -> None:
    table = get_settings().table_name("content")
    count = (likes or LikesStore.default()).count(event.post_id)
    changed = set_card_count(aws.dynamodb(), table, event.post_id, count)
    logger.info("card like count", extra={"post_id": event.post_id, "like_count": count, "changed": changed})


def _on_event(event: Any) -> None:
    refresh(event)


lambda_handler = queue_worker(
    {
        PostLiked.detail_type: (PostLiked, _on_event),
        PostUnliked.detail_type: (PostUnliked, _on_event),
    }
)
