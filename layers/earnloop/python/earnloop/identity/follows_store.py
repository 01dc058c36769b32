"""Keys and writes of follows, in the identity table.

Items (each a user's own partition; the pair is written in one transaction with both counters):
    USER#<follower>  FOLLOWING#<followee>   entity=Follow      followed_at: the truth; derives UserFollowed
    USER#<followee>  FOLLOWER#<follower>    entity=Follower    followed_at: the followee's list
    USER#<follower>  UNFOLLOWED#<followee>  entity=Unfollow    unfollowed_at: derives UserUnfollowed (TTL)
    USER#<id>        PROFILE                follower_count, following_count (ADD ±1 in the same transaction)

A follow is one TransactWriteItems: the `Follow` put conditioned on `attribute_not_exists`, so a
repeat (or a racing twin) writes nothing and counts nothing; an unfollow deletes conditioned on
`attribute_exists`, the same way. The unfollow's tombstone exists only so the event has a time
(a stream REMOVE carries none): consumers order a follow and an unfollow of the same pair by it.
Lists page in key order (user ids, ULIDs: the order people registered), one query per page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from earnloop.identity.follows_models import FollowEdge
from earnloop.identity.models import User
from earnloop.identity.store import user_key
from earnloop.platform.dynamo import (
    TxAction,
    decode_cursor,
    encode_cursor,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.errors import NotFoundError, UnauthenticatedError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

FOLLOW_ENTITY = "Follow"
FOLLOWER_ENTITY = "Follower"
UNFOLLOW_ENTITY = "Unfollow"
FOLLOWING_PREFIX = "FOLLOWING#"
FOLLOWER_PREFIX = "FOLLOWER#"
# Longer than SQS and its DLQ keep an event: a late follow event still finds the unfollow after it.
TOMBSTONE_TTL = timedelta(days=30)
_USER_ID = r"[0-9A-Za-z_-]{1,64}"
_CURSORS = {
    FOLLOWING_PREFIX: {"sk": re.compile(FOLLOWING_PREFIX + _USER_ID)},
    FOLLOWER_PREFIX: {"sk": re.compile(FOLLOWER_PREFIX + _USER_ID)},
}


class AlreadyDoneError(Exception):
    """The follow exists already (follow) or does not (unfollow): the command is a repeat."""


def following_key(follower_id: str, followee_id: str) -> dict[str, str]:
    return {"pk": f"USER#{follower_id}", "sk": f"{FOLLOWING_PREFIX}{followee_id}"}


def follower_key(followee_id: str, follower_id: str) -> dict[str, str]:
    return {"pk": f"USER#{followee_id}", "sk": f"{FOLLOWER_PREFIX}{follower_id}"}


def unfollowed_key(follower_id: str, followee_id: str) -> dict[str, str]:
    return {"pk": f"USER#{follower_id}", "sk": f"UNFOLLOWED#{followee_id}"}


def _repeat(_: Mapping[str, Any]) -> Exception:
    return AlreadyDoneError()


def _caller_gone(_: Mapping[str, Any]) -> Exception:
    return UnauthenticatedError("the token's user no longer exists")


def _target_missing(_: Mapping[str, Any]) -> Exception:
    return NotFoundError("no such user")


class FollowStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def follow(self, follower_id: str, followee_id: str, followed_at: str) -> None:
        """Both items and both counters in one transaction.

        Raises:
            AlreadyDoneError: the follower follows the followee already (nothing written).
            NotFoundError: no such followee.
            UnauthenticatedError: the follower no longer exists.
            TransactionConflictError: a simultaneous command on the same items; retry.
        """
        edge = {"follower_id": follower_id, "followee_id": followee_id, "followed_at": followed_at}
        transact(
            self._ddb,
            [
                # The followee first: a missing one answers 404 whatever else fails.
                self._count(followee_id, "follower_count", 1, _target_missing),
                self._count(follower_id, "following_count", 1, _caller_gone),
                TxAction(
                    self._put({**following_key(follower_id, followee_id), "entity": FOLLOW_ENTITY, **edge}),
                    _repeat,
                ),
                TxAction(
                    self._put({**follower_key(followee_id, follower_id), "entity": FOLLOWER_ENTITY, **edge})
                ),
            ],
        )

    def unfollow(self, follower_id: str, followee_id: str, unfollowed_at: str, expires_at: int) -> None:
        """Deletes both items, takes one off both counters and leaves the dated tombstone.

        Raises:
            AlreadyDoneError: the follower does not follow the followee (nothing written).
            TransactionConflictError: a simultaneous command on the same items; retry.
        """
        tombstone = {
            **unfollowed_key(follower_id, followee_id),
            "entity": UNFOLLOW_ENTITY,
            "follower_id": follower_id,
            "followee_id": followee_id,
            "unfollowed_at": unfollowed_at,
            "expires_at": expires_at,
        }
        transact(
            self._ddb,
            [
                TxAction(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": marshal(following_key(follower_id, followee_id)),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    _repeat,
                ),
                TxAction(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": marshal(follower_key(followee_id, follower_id)),
                        }
                    }
                ),
                TxAction({"Put": {"TableName": self._table, "Item": marshal(tombstone)}}),
                self._count(followee_id, "follower_count", -1, _target_missing),
                self._count(follower_id, "following_count", -1, _caller_gone),
            ],
        )

    def follows(self, follower_id: str, followee_id: str) -> bool:
        response = self._ddb.get_item(
            TableName=self._table,
            Key=marshal(following_key(follower_id, followee_id)),
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return "Item" in response

    def page(
        self, user_id: str, prefix: str, limit: int, cursor: str | None
    ) -> tuple[list[FollowEdge], str | None]:
        """One page of the user's `FOLLOWING#` or `FOLLOWER#` items and the next page's cursor.

        Raises:
            ValidationFailedError: the cursor is not one this query issued.
        """
        partition = f"USER#{user_id}"
        start = decode_cursor(cursor, _CURSORS[prefix], fixed={"pk": {"S": partition}})
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": marshal({":pk": partition, ":prefix": prefix}),
            # One more than asked tells whether a next page exists without returning an empty one.
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        items = [unmarshal(item) for item in self._ddb.query(**kwargs).get("Items", [])]
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            next_cursor = encode_cursor(marshal({"pk": partition, "sk": page[-1]["sk"]}), drop=("pk",))
        return [FollowEdge.model_validate(item) for item in page], next_cursor

    def users(self, user_ids: Sequence[str]) -> dict[str, User]:
        """The profiles of at most 100 users, by id (one BatchGetItem, unprocessed keys retried)."""
        found: dict[str, User] = {}
        keys = [marshal(user_key(user_id)) for user_id in dict.fromkeys(user_ids)]
        request: dict[str, Any] = {self._table: {"Keys": keys}} if keys else {}
        while request:
            response = self._ddb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                user = User.model_validate(unmarshal(item))
                found[user.user_id] = user
            request = dict(response.get("UnprocessedKeys") or {})
        return found

    def _put(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": marshal(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _count(self, user_id: str, counter: str, delta: int, missing: Any) -> TxAction:
        # On the profile itself: conditioned on it existing, so a command never creates a stray
        # profile (a vanished caller or a followee that never was).
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(user_key(user_id)),
                    "UpdateExpression": "ADD #counter :delta",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#counter": counter},
                    "ExpressionAttributeValues": marshal({":delta": delta}),
                }
            },
            missing,
        )
