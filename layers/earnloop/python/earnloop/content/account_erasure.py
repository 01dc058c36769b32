"""A deleted account's content (issue 10, PIPL): from `UserDeleted`, the posts worker removes every
post of the author not removed yet, as the author's own deletion would (each removal derives
`PostRemoved`, so media objects, comments, likes and feed entries follow by the existing paths),
and deletes what the content table keeps about the person: the feeds' author profile (nickname,
avatar), the products they scanned, their interests and their following inbox. A redelivered
event finds nothing left to do.

Comments the person wrote under others' posts are blanked (no text, nickname or avatar; the item
and the post's count stay). Likes they gave are taken back through the unlike of `likes_store` (the
shard's count drops, `PostUnliked` is derived, so feed cards recount) and then deleted, found through
the `by_author` index under `LIKER#`/`UNLIKED#<user>`. Comments and likes are erased within a budget
per invocation; what is left goes on in the next round (platform/erasure_rounds.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earnloop.content import erasure_rounds
from earnloop.content.erasure_rounds import UserErasureContinued
from earnloop.content.feed_keys import author_key
from earnloop.content.likes_store import LikesStore
from earnloop.content.posts_models import Post
from earnloop.content.posts_service import REMOVED_RETENTION, change_post, pause
from earnloop.content.posts_store import PostsStore
from earnloop.platform import aws
from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import TransactionConflictError, marshal
from earnloop.platform.erasure_rounds import continue_erasure
from earnloop.platform.errors import NotFoundError
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

# A like's unlike collides only with another like of the same shard in flight; a few jittered
# attempts separate them (as likes_service's), then the message is redelivered.
MAX_ATTEMPTS = 8


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
    event: UserDeleted | UserErasureContinued,
    store: PostsStore | None = None,
    ddb: DynamoDBClient | None = None,
    likes: LikesStore | None = None,
    budget: int | None = None,
) -> None:
    """Removes the deleted user's posts, blanks their comments, takes back their likes and deletes
    their personal items; when `budget` writes were not enough, starts the next round."""
    store = store or PostsStore.default()
    ddb = ddb or aws.dynamodb()
    likes = likes or LikesStore.default()
    # Read now, not at import: a test lowers it to see rounds with a few dozen items.
    budget = erasure_rounds.ERASE_BUDGET if budget is None else budget
    table = get_settings().table_name("content")
    at = parse_iso(event.deleted_at)
    retention = int((at + REMOVED_RETENTION).timestamp())
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
    written = store.authored_comments(event.user_id)
    comments = sum(store.erase_comment(key, event.user_id, event.deleted_at) for key in written[:budget])
    unliked, likes_left = _take_back_likes(likes, event.user_id, at, budget - len(written[:budget]))
    _delete_personal_items(ddb, table, event.user_id)
    number = event.round + 1 if isinstance(event, UserErasureContinued) else 1
    finished = len(written) <= budget and not likes_left
    if not finished and not continue_erasure(ddb, table, event.user_id, event.deleted_at, number):
        logger.warning("erasure round not started (put before, or the last)", extra={"round": number})
    logger.info(
        "deleted user's content erased",
        extra={
            "user_id": event.user_id,
            "posts": len(removed),
            "comments": comments,
            "likes": unliked,
            "next_round": None if finished else number,
        },
    )


def _take_back_likes(likes: LikesStore, user_id: str, at: datetime, budget: int) -> tuple[int, bool]:
    """Unlikes (count down, `PostUnliked`) then deletes each like the user gave, and deletes the
    ones they had taken back, within `budget` writes. Returns how many likes it erased and whether
    some are left."""
    done = 0
    for like in likes.given(user_id, liked=True, limit=max(budget // 2, 0)):
        for tried in range(MAX_ATTEMPTS):
            try:
                likes.set_like(like.post_id, user_id, "", False, at)
                break
            except TransactionConflictError:
                if tried + 1 == MAX_ATTEMPTS:
                    raise
                pause(tried)
        likes.forget(like.post_id, user_id)
        done += 1
    budget -= 2 * done
    for like in likes.given(user_id, liked=False, limit=max(budget, 0)):
        likes.forget(like.post_id, user_id)
        done += 1
    left = likes.given(user_id, liked=True, limit=1) + likes.given(user_id, liked=False, limit=1)
    return done, bool(left)


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
