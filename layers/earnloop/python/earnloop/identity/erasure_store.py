"""Keys and writes of account deletion, in the identity table (issue 10, PIPL).

Items:
    USER#<id>  DELETED  entity=UserDeletion  user_id, deleted_at: derives UserDeleted (kept: it holds
                                             no personal data, and a repeated deletion finds it)

`delete_account` is the one command: the profile and every identity link naming the user are
deleted, and the tombstone put, in one transaction. Links are found from the profile
(`wx_openid`, `wx_unionid`), and the profile is conditioned on the unionid read, so a unionid linked
at the same moment (identity/store.py `link`, which sets it on the profile in its own transaction)
either fails this deletion or is released by it. What else the partition holds (tags, guards, the
inbox, grants, follows) is erased by the identity worker from the event (`erase_partition`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earnloop.identity.follows_store import (
    FOLLOWER_PREFIX,
    FOLLOWING_PREFIX,
    UNFOLLOW_ENTITY,
    follower_key,
    following_key,
    unfollowed_key,
)
from earnloop.identity.store import link_key, user_key
from earnloop.platform.dynamo import TransactionConflictError, TxAction, marshal, transact, unmarshal
from earnloop.platform.erasure_rounds import continue_erasure
from earnloop.platform.errors import ConcurrencyError, UnauthenticatedError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.identity.models import User

DELETION_ENTITY = "UserDeletion"
DELETED = "DELETED"
# Items of the partition that stay: the tombstone itself, and unfollow tombstones (they derive the
# UserUnfollowed that clears the feeds' follower lists, and go by TTL).
_KEPT_PREFIXES = (DELETED, "UNFOLLOWED#")
_BATCH = 25


def deletion_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": DELETED}


def _gone(_: Mapping[str, Any]) -> Exception:
    return UnauthenticatedError("the token's user no longer exists")


def _changed(_: Mapping[str, Any]) -> Exception:
    # A unionid was linked between our read and this write: read the profile again.
    return ConcurrencyError("the account changed while being deleted, please retry")


class ErasureStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def delete_account(self, user: User, deleted_at: str, also: Sequence[TxAction] = ()) -> None:
        """Deletes the profile and its identity links and puts the tombstone, all or nothing
        (`also`: actions of the same transaction, e.g. the revocation of the user's sessions).

        Raises:
            UnauthenticatedError: the user is gone already (deleted by a concurrent request).
            ConcurrencyError: the profile changed (a unionid linked) since it was read.
        """
        condition = "attribute_exists(pk) AND "
        values: dict[str, Any] = {}
        if user.wx_unionid is None:
            condition += "attribute_not_exists(wx_unionid)"
        else:
            condition += "wx_unionid = :unionid"
            values[":unionid"] = user.wx_unionid
        profile: dict[str, Any] = {
            "TableName": self._table,
            "Key": marshal(user_key(user.user_id)),
            "ConditionExpression": condition,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if values:
            profile["ExpressionAttributeValues"] = marshal(values)

        def translate(reason: Mapping[str, Any]) -> Exception:
            return _gone(reason) if not reason.get("Item") else _changed(reason)

        actions = [TxAction({"Delete": profile}, translate)]
        links = [("wx_openid", user.wx_openid), ("wx_unionid", user.wx_unionid)]
        for kind, value in links:
            if value is None:
                continue
            # Only a link that still names this user: never release someone else's.
            actions.append(
                TxAction(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": marshal(link_key(kind, value)),  # type: ignore[arg-type]
                            "ConditionExpression": "attribute_not_exists(pk) OR user_id = :user",
                            "ExpressionAttributeValues": marshal({":user": user.user_id}),
                        }
                    },
                    _changed,
                )
            )
        tombstone = {**deletion_key(user.user_id), "entity": DELETION_ENTITY, "user_id": user.user_id}
        actions.append(
            TxAction(
                {"Put": {"TableName": self._table, "Item": marshal({**tombstone, "deleted_at": deleted_at})}}
            )
        )
        actions.extend(also)
        try:
            transact(self._ddb, actions)
        except TransactionConflictError as error:
            raise ConcurrencyError("the account is being changed, please retry") from error

    def is_deleted(self, user_id: str) -> bool:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(deletion_key(user_id)), ConsistentRead=True
        )
        return "Item" in response

    def partition(self, user_id: str) -> Iterator[dict[str, Any]]:
        """The keys (and follow fields) of every item under `USER#<id>`, one page at a time."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": f"USER#{user_id}"}),
            "ProjectionExpression": "pk, sk, follower_id, followee_id",
        }
        while True:
            page = self._ddb.query(**kwargs)
            yield from (unmarshal(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def drop_following(self, user_id: str, followee_id: str, at: str, expires_at: int) -> None:
        """The deleted user's follow of `followee_id`: both items gone, one follower less on the
        followee (if still there), and an unfollow tombstone so the feeds forget the pair."""
        tombstone = {
            **unfollowed_key(user_id, followee_id),
            "entity": UNFOLLOW_ENTITY,
            "follower_id": user_id,
            "followee_id": followee_id,
            "unfollowed_at": at,
            "expires_at": expires_at,
        }
        self._drop_edge(
            mine=following_key(user_id, followee_id),
            theirs=follower_key(followee_id, user_id),
            other=followee_id,
            counter="follower_count",
            extra=[TxAction({"Put": {"TableName": self._table, "Item": marshal(tombstone)}})],
        )

    def drop_follower(self, user_id: str, follower_id: str) -> None:
        """A follow of the deleted user by `follower_id`: both items gone, one followed less on
        the follower (a stream REMOVE of a Follow derives nothing: the deleted author's feed
        entries go with their posts)."""
        self._drop_edge(
            mine=follower_key(user_id, follower_id),
            theirs=following_key(follower_id, user_id),
            other=follower_id,
            counter="following_count",
            extra=[],
        )

    def _drop_edge(
        self,
        *,
        mine: Mapping[str, str],
        theirs: Mapping[str, str],
        other: str,
        counter: str,
        extra: list[TxAction],
    ) -> None:
        edge = [
            TxAction(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": marshal(mine),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                lambda _: _Repeat(),
            ),
            TxAction({"Delete": {"TableName": self._table, "Key": marshal(theirs)}}),
        ]
        count = TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(user_key(other)),
                    "UpdateExpression": "ADD #counter :minus",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#counter": counter},
                    "ExpressionAttributeValues": marshal({":minus": -1}),
                }
            },
            lambda _: _OtherGone(),
        )
        try:
            transact(self._ddb, [*edge, count, *extra])
        except _Repeat:
            return
        except _OtherGone:
            # The other user is deleted too: no counter to keep (never create a stray profile).
            try:
                transact(self._ddb, [*edge, *extra])
            except _Repeat:
                return

    def continue_erasure(self, user_id: str, deleted_at: str, number: int) -> bool:
        """Puts the erasure's next round (platform/erasure_rounds.py); False when put before."""
        return continue_erasure(self._ddb, self._table, user_id, deleted_at, number)

    def delete_items(self, keys: Sequence[Mapping[str, str]]) -> None:
        """Deletes plain items (tags, guards, notes, grants): a delete of a missing item is harmless."""
        for start in range(0, len(keys), _BATCH):
            requests = [
                {"DeleteRequest": {"Key": marshal(dict(key))}} for key in keys[start : start + _BATCH]
            ]
            pending: dict[str, Any] = {self._table: requests}
            while pending:
                response = self._ddb.batch_write_item(RequestItems=pending)
                pending = dict(response.get("UnprocessedItems") or {})


def erasable(sk: str) -> bool:
    return not sk.startswith(_KEPT_PREFIXES) and not sk.startswith((FOLLOWING_PREFIX, FOLLOWER_PREFIX))


class _Repeat(Exception):
    """The edge is gone already: a redelivered event."""


class _OtherGone(Exception):
    """The other user's profile no longer exists."""
