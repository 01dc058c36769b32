"""The only place that builds keys and expressions for likes (issue 9) in the content table.

Items, spread over `LIKE_SHARDS` partitions per post by a hash of the liker (so no partition takes
every like of a viral post; the arithmetic is in docs/decisions.md, "Likes"):
- `LIKES#<post>#<shard>` / `LIKE#<user>` (entity Like): the truth. `liked` says whether the user
  likes the post now; an unlike flips it (the item stays, so the stream's image carries when and
  who, and a like/unlike cycle is one item, not a stream of new ones);
- `LIKES#<post>#<shard>` / `COUNT` (entity LikeCount): `like_count`, the number of this shard's like
  items with `liked` true, changed in the same transaction as the like item, so the sum of the
  shards always equals the number of likes, whatever the concurrency.

Every like item is also in the content table's sparse `by_author` index under its liker, so a
user's likes are listed (export) and found (erasure) without a scan, from the index keys alone:
`LIKER#<user>` / `<liked_at>#<post>` while liked, `UNLIKED#<user>` / `<unliked_at>#<post>` after an
unlike (docs/decisions.md, "Likes and shares of a deleted account").

A user's like item and the counter it changes share a partition: a like is 4 WCU on one of the
post's `LIKE_SHARDS` partitions, plus 2 WCU on each risk counter its transaction carries (the
liker's, their device's and IP's: up to 6 more, on those subjects' own partitions; risk/attempts.py).
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import ClientError

from earnloop.content.earn_sweeps import LIKE_EARN
from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, transact, unmarshal
from earnloop.platform.outbox_sweep import pending_attributes
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

# Partitions per post. 32 keeps a post's like count one BatchGetItem of 32 small items, and spreads
# a like storm 32 ways (docs/decisions.md, "Likes").
LIKE_SHARDS = 32
# The content table's sparse index of what a user wrote or did (posts/store.py's AUTHOR_INDEX).
LIKER_INDEX = "by_author"
LIKER_PREFIX = "LIKER#"
UNLIKED_PREFIX = "UNLIKED#"


def shard_of(user_id: str) -> int:
    """The shard a user's like of any post lives in (stable across processes: crc32, not hash())."""
    return zlib.crc32(user_id.encode()) % LIKE_SHARDS


def like_partition(post_id: str, shard: int) -> str:
    return f"LIKES#{post_id}#{shard}"


def like_key(post_id: str, user_id: str) -> dict[str, str]:
    return {"pk": like_partition(post_id, shard_of(user_id)), "sk": f"LIKE#{user_id}"}


def count_key(post_id: str, shard: int) -> dict[str, str]:
    return {"pk": like_partition(post_id, shard), "sk": "COUNT"}


def count_keys(post_id: str) -> list[dict[str, str]]:
    return [count_key(post_id, shard) for shard in range(LIKE_SHARDS)]


def like_count(found: Mapping[tuple[str, str], Mapping[str, Any]], post_id: str) -> int:
    """The post's like count from the items a batch read found (a missing shard counts 0)."""
    return sum(int(found.get((k["pk"], k["sk"]), {}).get("like_count", 0)) for k in count_keys(post_id))


def liker_entry(user_id: str, post_id: str, at: str, *, liked: bool) -> dict[str, str]:
    """The like item's `by_author` index attributes: the liker's likes, or their unliked ones."""
    prefix = LIKER_PREFIX if liked else UNLIKED_PREFIX
    return {"author_pk": f"{prefix}{user_id}", "author_sk": f"{at}#{post_id}"}


def is_liked(item: Mapping[str, Any] | None) -> bool:
    """Whether a like item (or its absence) is a like now."""
    return item is not None and item.get("liked") is True


def _entry(user_id: str, post_id: str, at: str, *, liked: bool) -> dict[str, str]:
    entry = liker_entry(user_id, post_id, at, liked=liked)
    return {":author_pk": entry["author_pk"], ":author_sk": entry["author_sk"]}


class GivenLike(NamedTuple):
    """One like a user gave (or took back), as the index tells it."""

    post_id: str
    # When it was liked (or, for an unliked one, unliked).
    at: str


class _Unchanged(Exception):
    """The like item already was in the state asked for: nothing was written."""


def _unchanged(_: Mapping[str, Any]) -> Exception:
    return _Unchanged()


class LikesStore:
    """Likes and their sharded counts. Each command is one transaction of two items."""

    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @classmethod
    def default(cls) -> LikesStore:
        return cls(aws.dynamodb(), get_settings().table_name("content"))

    def set_like(
        self,
        post_id: str,
        user_id: str,
        post_author_id: str,
        liked: bool,
        now: datetime,
        counting: Sequence[TxAction] = (),
    ) -> bool:
        """Likes (or unlikes) the post for the user, and moves the shard's count by one, together,
        with `counting` (the attempt's risk counters) in the same transaction. A first like by
        someone else than the author carries the outbox marker of its earn
        (content/interactions_outbox.py).

        Returns whether anything changed (False: it already was so; nothing was written).

        Raises:
            TransactionConflictError: another transaction held one of the two items; retry.
        """
        at = iso(now)
        if not liked:
            change: dict[str, Any] = {
                "UpdateExpression": "SET liked = :false, unliked_at = :at, "
                "author_pk = :author_pk, author_sk = :author_sk",
                "ConditionExpression": "liked = :true",
                "ExpressionAttributeValues": marshal(
                    {":true": True, ":false": False, ":at": at, **_entry(user_id, post_id, at, liked=False)}
                ),
            }
            return self._commit(post_id, user_id, change, -1, counting)
        values = {
            ":like": "Like",
            ":post": post_id,
            ":user": user_id,
            ":author": post_author_id,
            ":true": True,
            ":at": at,
            **_entry(user_id, post_id, at, liked=True),
        }
        first: dict[str, Any] = {
            "UpdateExpression": "SET #entity = :like, post_id = :post, user_id = :user, "
            "post_author_id = :author, liked = :true, liked_at = :at, "
            "author_pk = :author_pk, author_sk = :author_sk",
            "ConditionExpression": "attribute_not_exists(pk)",
            "ExpressionAttributeNames": {"#entity": "entity"},
            "ExpressionAttributeValues": marshal(values),
        }
        if user_id != post_author_id:
            marker = pending_attributes(LIKE_EARN, f"{post_id}#{user_id}", now)
            first["UpdateExpression"] += ", due_pk = :due_pk, due_sk = :due_sk"
            first["ExpressionAttributeValues"] = marshal(
                {**values, ":due_pk": marker["due_pk"], ":due_sk": marker["due_sk"]}
            )
        if self._commit(post_id, user_id, first, 1, counting):
            return True
        # Liked again after an unlike: it earns nothing new, so it carries no marker.
        again = {
            "UpdateExpression": "SET liked = :true, liked_at = :at, author_pk = :author_pk, "
            "author_sk = :author_sk REMOVE unliked_at",
            "ConditionExpression": "liked = :false",
            "ExpressionAttributeValues": marshal(
                {":true": True, ":false": False, ":at": at, **_entry(user_id, post_id, at, liked=True)}
            ),
        }
        return self._commit(post_id, user_id, again, 1, counting)

    def _commit(
        self, post_id: str, user_id: str, change: dict[str, Any], delta: int, counting: Sequence[TxAction]
    ) -> bool:
        """The like item's change and its shard's count, in one transaction after `counting`;
        False (nothing written) when the like item's condition failed."""
        count = {
            "UpdateExpression": "SET #entity = :entity, post_id = :post ADD like_count :delta",
            "ExpressionAttributeNames": {"#entity": "entity"},
            "ExpressionAttributeValues": marshal({":entity": "LikeCount", ":post": post_id, ":delta": delta}),
        }
        like_at = marshal(like_key(post_id, user_id))
        count_at = marshal(count_key(post_id, shard_of(user_id)))
        actions = [
            *counting,
            TxAction(
                {"Update": {"TableName": self._table, "Key": like_at, **change}},
                on_condition_failed=_unchanged,
            ),
            TxAction({"Update": {"TableName": self._table, "Key": count_at, **count}}),
        ]
        try:
            transact(self._ddb, actions)
        except _Unchanged:
            return False
        return True

    def count(self, post_id: str, fresh_shard: int | None = None) -> int:
        """The post's like count: one BatchGetItem of its shards (eventually consistent), except
        `fresh_shard`, read strongly consistent (the one the caller just wrote: its answer shows
        its own like)."""
        keys = [k for s, k in enumerate(count_keys(post_id)) if s != fresh_shard]
        found = self.batch_get(keys, consistent=False)
        if fresh_shard is not None:
            key = count_key(post_id, fresh_shard)
            item = self._ddb.get_item(TableName=self._table, Key=marshal(key), ConsistentRead=True)
            if "Item" in item:
                found[(key["pk"], key["sk"])] = unmarshal(item["Item"])
        return like_count(found, post_id)

    def delete_all(self, post_id: str) -> int:
        """Deletes the post's like items and counters (after it was removed): one paged Query per
        shard, deletes in batches of 25. Idempotent; returns how many items it deleted."""
        keys: list[dict[str, Any]] = []
        for shard in range(LIKE_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": marshal({":pk": like_partition(post_id, shard)}),
                "ProjectionExpression": "pk, sk",
            }
            while True:
                page = self._ddb.query(**kwargs)
                keys += page.get("Items", [])
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for start in range(0, len(keys), 25):
            pending: Any = {self._table: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
        return len(keys)

    def given(self, user_id: str, *, liked: bool, limit: int, newest_first: bool = True) -> list[GivenLike]:
        """Up to `limit` of the user's likes (`liked`) or unliked likes, from the `by_author` index
        alone (its keys say which post and when): paged Queries of the user's own index partition."""
        prefix = LIKER_PREFIX if liked else UNLIKED_PREFIX
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIKER_INDEX,
            "KeyConditionExpression": "author_pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": f"{prefix}{user_id}"}),
            "ScanIndexForward": not newest_first,
        }
        found: list[GivenLike] = []
        while len(found) < limit:
            page = self._ddb.query(**kwargs, Limit=limit - len(found))
            for raw in page.get("Items", []):
                at, _, post_id = raw["author_sk"]["S"].partition("#")
                found.append(GivenLike(post_id, at))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def forget(self, post_id: str, user_id: str) -> bool:
        """Deletes the user's like item of the post once it is no like (after `set_like(..., False)`,
        whose unlike moved the count and derived `PostUnliked`). False when it is gone or liked."""
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=marshal(like_key(post_id, user_id)),
                ConditionExpression="liked = :false",
                ExpressionAttributeValues=marshal({":false": False}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def batch_get(
        self, keys: Sequence[Mapping[str, str]], *, consistent: bool
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The items at `keys` (at most 100, distinct) that exist, by (pk, sk); keys DynamoDB left
        unprocessed (throttling) are asked for again: a missing item must mean missing."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        request: Any = {self._table: {"Keys": [marshal(k) for k in keys], "ConsistentRead": consistent}}
        while request:
            response = self._ddb.batch_get_item(RequestItems=request)
            for raw in response["Responses"].get(self._table, []):
                item = unmarshal(raw)
                found[(str(item["pk"]), str(item["sk"]))] = item
            request = response.get("UnprocessedKeys") or None
        return found
