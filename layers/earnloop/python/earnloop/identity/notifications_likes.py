"""Likes told as one note per (author, post), updated as it grows: "小王 等 13 人赞了你的帖子".

Items (the author's own partition, beside the inbox; TTL like the notes):
    USER#<author>  LIKEGROUP#<post>                   entity=LikeGroup  count, latest names, note_id, version
    USER#<author>  SEEN#notify#like#<post>#<liker>    the liker was counted (an unlike and a like
                                                      again, or a redelivery, count nothing)

A like is one transaction: the liker's guard (`attribute_not_exists`), the group put conditioned on
the version read, the old note deleted and the new note put under a new ULID, so the grown note is
at the top of the inbox and above the "all read" watermark: unread again. A racing like of the same
post fails the version condition and is applied again on the new group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from earnloop.identity.notifications_models import NoticeDraft
from earnloop.identity.notifications_store import already_notified, guard_key, note_item, note_key, partition
from earnloop.platform.dynamo import TxAction, marshal, transact, unmarshal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb import DynamoDBClient

GROUP_ENTITY = "LikeGroup"
# Names shown: the newest two likers (a third and more are "等 N 人").
LATEST = 2


class StaleGroupError(Exception):
    """Another like of the same post changed the group since it was read."""


def group_key(author_id: str, post_id: str) -> dict[str, str]:
    return {"pk": partition(author_id), "sk": f"LIKEGROUP#{post_id}"}


def like_dedupe_key(post_id: str, liker_id: str) -> str:
    return f"like#{post_id}#{liker_id}"


@dataclass(frozen=True)
class LikeGroup:
    count: int = 0
    latest: list[str | None] = field(default_factory=list)
    note_id: str | None = None
    version: int = 0


def _stale(_: Mapping[str, Any]) -> Exception:
    return StaleGroupError()


class LikeGroups:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def group(self, author_id: str, post_id: str) -> LikeGroup:
        found = self._ddb.get_item(
            TableName=self._table, Key=marshal(group_key(author_id, post_id)), ConsistentRead=True
        )
        if "Item" not in found:
            return LikeGroup()
        item = unmarshal(found["Item"])
        return LikeGroup(
            count=int(item["count"]),
            latest=list(item.get("latest") or []),
            note_id=item.get("note_id"),
            version=int(item["version"]),
        )

    def grow(
        self, before: LikeGroup, after: LikeGroup, draft: NoticeDraft, created_at: str, expires_at: int
    ) -> None:
        """Counts the liker (`draft.dedupe_key`) into the group and moves its note to the top.

        Raises:
            AlreadyNotifiedError: this liker was counted before.
            StaleGroupError: the group changed since `before` was read.
            TransactionConflictError: a simultaneous transaction on the same items.
        """
        assert after.note_id is not None
        post_id = draft.ref.id
        guard = {
            **guard_key(draft.user_id, draft.dedupe_key),
            "entity": "NotificationSeen",
            "user_id": draft.user_id,
            "note_id": after.note_id,
            "expires_at": expires_at,
        }
        group = {
            **group_key(draft.user_id, post_id),
            "entity": GROUP_ENTITY,
            "user_id": draft.user_id,
            "post_id": post_id,
            "count": after.count,
            "latest": after.latest,
            "note_id": after.note_id,
            "version": after.version,
            "expires_at": expires_at,
        }
        group_put: dict[str, Any] = {"TableName": self._table, "Item": marshal(group)}
        if before.version == 0:
            group_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            group_put["ConditionExpression"] = "version = :read"
            group_put["ExpressionAttributeValues"] = marshal({":read": before.version})
        actions = [
            TxAction(self._put_new(guard), already_notified),
            TxAction({"Put": group_put}, _stale),
            TxAction(self._put_new(note_item(draft, after.note_id, created_at, expires_at))),
        ]
        if before.note_id is not None:
            old = {"TableName": self._table, "Key": marshal(note_key(draft.user_id, before.note_id))}
            actions.append(TxAction({"Delete": old}))
        transact(self._ddb, actions)

    def _put_new(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": marshal(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
