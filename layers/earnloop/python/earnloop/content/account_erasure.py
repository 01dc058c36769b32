"""A deleted account's content (issue 10, PIPL): from `UserDeleted`, the posts worker removes every
post of the author not removed yet, as the author's own deletion would (each removal derives
`PostRemoved`, so media objects, comments, likes and feed entries follow by the existing paths),
and deletes what the content table keeps about the person: the feeds' author profile (nickname,
avatar), the products they scanned, their interests and their following inbox. A redelivered
event finds nothing left to do.

Comments the person wrote under others' posts are blanked (no text, nickname or avatar; the item
and the post's count stay). Likes they gave stay under the account's random id (docs/decisions.md,
"Account deletion").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earnloop.content.feed_keys import author_key
from earnloop.content.posts_models import Post
from earnloop.content.posts_service import REMOVED_RETENTION, change_post
from earnloop.content.posts_store import PostsStore
from earnloop.platform import aws
from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import marshal
from earnloop.platform.errors import NotFoundError
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class UserDeleted(DomainEvent):
    """From the identity context: the person deleted their account."""

    source = "earnloop.identity"
    detail_type = "UserDeleted"

    user_id: str
    deleted_at: str


def _removed(post: Post) -> Post | None:
    if post.status == "removed":
        return None
    return post.model_copy(
        update={"status": "removed", "removed_by": "author", "in_review_since": None, "reason": None}
    )


def erase_author(
    event: UserDeleted, store: PostsStore | None = None, ddb: DynamoDBClient | None = None
) -> None:
    """Removes the deleted user's posts and their personal items."""
    store = store or PostsStore.default()
    ddb = ddb or aws.dynamodb()
    retention = int((parse_iso(event.deleted_at) + REMOVED_RETENTION).timestamp())
    removed: set[str] = set()

    def remove(post: Post) -> Post | None:
        changed = _removed(post)
        if changed is not None:
            removed.add(post.post_id)
        return changed

    for post_id in store.author_posts(event.user_id):
        try:
            change_post(store, post_id, remove, expires_at=lambda _: retention)
        except NotFoundError:
            continue
    comments = sum(
        store.erase_comment(key, event.user_id, event.deleted_at)
        for key in store.authored_comments(event.user_id)
    )
    _delete_personal_items(ddb, get_settings().table_name("content"), event.user_id)
    logger.info(
        "deleted user's posts removed",
        extra={"user_id": event.user_id, "posts": len(removed), "comments": comments},
    )


def _delete_personal_items(ddb: DynamoDBClient, table: str, user_id: str) -> None:
    """The feeds' copy of the profile, and the partitions that are the person's alone: `USER#<id>`
    (the products they scanned), `READER#<id>` (their interests and its guards) and
    `FEEDFOLLOW#<id>` (their following inbox)."""
    keys: list[dict[str, Any]] = [author_key(user_id)]
    for partition in (f"USER#{user_id}", f"READER#{user_id}", f"FEEDFOLLOW#{user_id}"):
        query: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": partition}),
            "ProjectionExpression": "pk, sk",
        }
        while True:
            page = ddb.query(**query)
            keys += [{"pk": i["pk"]["S"], "sk": i["sk"]["S"]} for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for start in range(0, len(keys), 25):
        pending: dict[str, Any] = {
            table: [{"DeleteRequest": {"Key": marshal(key)}} for key in keys[start : start + 25]]
        }
        while pending:
            pending = dict(ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {})
