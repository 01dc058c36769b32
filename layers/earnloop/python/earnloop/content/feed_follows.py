"""Follows as the feeds keep them: identity's `UserFollowed`/`UserUnfollowed` become the author's
follower list (`FOLLOWERS#<author>`/`FOLLOWER#<reader>`), which a publish fans out to.

One item per (author, reader), put with the state and the time of the event that set it, under the
condition that it is newer than what is stored: SQS may deliver a follow after the unfollow that
ended it (or redeliver either), and the later happening must win whatever the order. An unfollowed
reader's item stays as a tombstone (`following: false`, deleted by TTL after 30 days, longer than
SQS and its DLQ keep an event) and is filtered out of the list. Posts published before the follow
are not copied in (no backfill), and an unfollow leaves what the inbox already holds.
"""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError
from pydantic import Field

from earnloop.content.feed_keys import GUARD_DAYS, follower_key
from earnloop.platform import aws
from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import is_condition_failure, marshal
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings

FOLLOWER_ENTITY = "Follower"


class UserFollowed(DomainEvent):
    # Read here, emitted by identity.
    source = "earnloop.identity"
    detail_type = "UserFollowed"

    follower_id: str = Field(min_length=1, max_length=64)
    followee_id: str = Field(min_length=1, max_length=64)
    followed_at: str


class UserUnfollowed(DomainEvent):
    source = "earnloop.identity"
    detail_type = "UserUnfollowed"

    follower_id: str = Field(min_length=1, max_length=64)
    followee_id: str = Field(min_length=1, max_length=64)
    unfollowed_at: str


def set_follower(author_id: str, reader_id: str, *, following: bool, changed_at: str) -> bool:
    """Records the newest state of the pair; an older or repeated event writes nothing. Returns
    whether it wrote."""
    item: dict[str, object] = {
        **follower_key(author_id, reader_id),
        "entity": FOLLOWER_ENTITY,
        "author_id": author_id,
        "reader_id": reader_id,
        "following": following,
        "changed_at": changed_at,
    }
    if not following:
        item["expires_at"] = int((parse_iso(changed_at) + timedelta(days=GUARD_DAYS)).timestamp())
    try:
        aws.dynamodb().put_item(
            TableName=get_settings().table_name("content"),
            Item=marshal(item),
            ConditionExpression="attribute_not_exists(pk) OR attribute_not_exists(changed_at) "
            "OR changed_at < :at",
            ExpressionAttributeValues=marshal({":at": changed_at}),
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise
        logger.info("follow state older than the one kept", extra={"author_id": author_id})
        return False
    return True


def on_followed(event: UserFollowed) -> None:
    set_follower(event.followee_id, event.follower_id, following=True, changed_at=event.followed_at)


def on_unfollowed(event: UserUnfollowed) -> None:
    set_follower(event.followee_id, event.follower_id, following=False, changed_at=event.unfollowed_at)
