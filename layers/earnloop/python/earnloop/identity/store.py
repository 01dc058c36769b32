"""The only place that builds keys and expressions for the identity table.

Items:
    USER#<id>                     PROFILE              entity=User       the profile and roles
    IDENT#wx_unionid#<unionid>    IDENT                entity=Identity   -> user_id
    IDENT#wx_openid#<openid>      IDENT                entity=Identity   -> user_id
    USER#<id>                     TAG#<tag>            entity=Tag        count, last_seen
    USER#<id>                     SEEN#scan#<code>     entity=ScanSeen   a scan's tags were counted
    USER#<id>                     SEEN#order#<order>   entity=OrderSeen  a redemption's tags were counted
    USER#<id>                     NOTE#... INBOX ...   the notifications inbox: see notifications_store
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.identity.models import IdentityKind, TagCount, User
from earnloop.identity.rules import ADMIN
from earnloop.platform.dynamo import (
    TxAction,
    is_condition_failure,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.errors import ForbiddenError, NotFoundError, UnauthenticatedError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

PROFILE = "PROFILE"
IDENT = "IDENT"
TAG_PREFIX = "TAG#"


class LinkTakenError(Exception):
    """An identity link already exists: a simultaneous first login created it first."""


class _AlreadyCounted(Exception):
    """The scan's guard exists: this is a redelivery of a scan already counted."""


def user_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": PROFILE}


def link_key(kind: IdentityKind, value: str) -> dict[str, str]:
    return {"pk": f"IDENT#{kind}#{value}", "sk": IDENT}


def tag_key(user_id: str, tag: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"{TAG_PREFIX}{tag}"}


def scan_guard_key(user_id: str, code: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"SEEN#scan#{code}"}


def order_guard_key(user_id: str, order_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"SEEN#order#{order_id}"}


def live_user_check(
    table: str,
    user_id: str,
    *,
    missing: Exception,
    role: str | None = None,
    lacks_role: Exception | None = None,
) -> TxAction:
    """A TransactWriteItems ConditionCheck that passes only while the user exists (and, with `role`,
    holds it). Other contexts put it in their own transactions, so a command of a deleted user (a
    token outlives its user) or on a user that never existed writes nothing, at no extra read.

    When it fails, the transaction raises `missing` if the user does not exist, or `lacks_role`
    if it exists without `role`.
    """
    expression = "attribute_exists(pk)"
    values: dict[str, Any] = {}
    if role is not None:
        expression += " AND contains(#roles, :role)"
        values = {
            "ExpressionAttributeNames": {"#roles": "roles"},
            "ExpressionAttributeValues": marshal({":role": role}),
        }

    def translate(reason: Mapping[str, Any]) -> Exception:
        # The old item comes back beside the failure: no item, no user.
        return missing if not reason.get("Item") or lacks_role is None else lacks_role

    return TxAction(
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": marshal(user_key(user_id)),
                "ConditionExpression": expression,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **values,
            }
        },
        on_condition_failed=translate,
    )


def live_admin_check(table: str, user_id: str) -> TxAction:
    """`live_user_check` for an admin command's author (a token outlives a demotion): the command
    writes nothing, and answers 401 if the user is gone, 403 if no longer an admin."""
    return live_user_check(
        table,
        user_id,
        role=ADMIN,
        missing=UnauthenticatedError("the token's user no longer exists"),
        lacks_role=ForbiddenError("admin role required"),
    )


def _link_taken(_: Mapping[str, Any]) -> Exception:
    return LinkTakenError()


def _already_counted(_: Mapping[str, Any]) -> Exception:
    return _AlreadyCounted()


class IdentityStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def user_id_for(self, kind: IdentityKind, value: str) -> str | None:
        """The user an identity is linked to (strongly consistent: a login right after another sees it)."""
        item = self._get(link_key(kind, value))
        return None if item is None else str(item["user_id"])

    def get_user(self, user_id: str) -> User | None:
        item = self._get(user_key(user_id))
        return None if item is None else User.model_validate(item)

    def create_user(self, user: User, links: Sequence[tuple[IdentityKind, str]]) -> None:
        """Puts the user and its identity links in one transaction, all or nothing.

        Raises:
            LinkTakenError: one of the links exists (another login created its user first).
        """
        actions = [TxAction(self._put_new({**user_key(user.user_id), "entity": "User", **user.model_dump()}))]
        for kind, value in links:
            link = {**link_key(kind, value), "entity": "Identity", "kind": kind, "user_id": user.user_id}
            actions.append(TxAction(self._put_new({**link, "created_at": user.created_at}), _link_taken))
        transact(self._ddb, actions)

    def link(self, kind: IdentityKind, value: str, user_id: str, created_at: str) -> str:
        """Links an identity to `user_id` unless it is linked already; returns the user it names now.

        The profile records the link (`wx_unionid`) in the same transaction: deleting the account
        must find every link that names it (identity/erasure_store.py).
        """
        item = {**link_key(kind, value), "entity": "Identity", "kind": kind, "user_id": user_id}
        record = {
            "Update": {
                "TableName": self._table,
                "Key": marshal(user_key(user_id)),
                "UpdateExpression": "SET #kind = :value",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#kind": kind},
                "ExpressionAttributeValues": marshal({":value": value}),
            }
        }
        try:
            transact(
                self._ddb,
                [
                    TxAction(self._put_new({**item, "created_at": created_at}), _link_taken),
                    # The user deleted meanwhile: link nothing; the caller finds no user.
                    TxAction(record, lambda _: LookupError(f"user {user_id} is gone")),
                ],
            )
        except LinkTakenError:
            owner = self.user_id_for(kind, value)
            return owner or user_id
        return user_id

    def set_risk_rank(self, user_id: str, rank: int, at: str) -> bool:
        """Caches WeChat's risk rank on the profile unless a newer one is there or the user is gone
        (False). The stream derives `RiskRankChanged` when the rank differs (identity/events.py)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(user_key(user_id)),
                UpdateExpression="SET #rank = :rank, #rank_at = :at",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(#rank_at) OR #rank_at < :at)"
                ),
                ExpressionAttributeNames={"#rank": "risk_rank", "#rank_at": "risk_rank_at"},
                ExpressionAttributeValues=marshal({":rank": rank, ":at": at}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def update_profile(self, user_id: str, changes: Mapping[str, str | bool | None], updated_at: str) -> User:
        """Sets the given profile fields, removing those given as None; returns the user as stored now.

        Raises:
            NotFoundError: no such user.
        """
        values = {name: value for name, value in changes.items() if value is not None}
        values["updated_at"] = updated_at
        cleared = sorted(name for name, value in changes.items() if value is None)
        names = {f"#{name}": name for name in [*values, *cleared]}
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in values)
        if cleared:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in cleared)
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key=marshal(user_key(user_id)),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=marshal({f":{name}": value for name, value in values.items()}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise NotFoundError("no such user") from error
            raise
        return User.model_validate(unmarshal(response["Attributes"]))

    def set_tier(self, user_id: str, tier: str, lifetime_earned: int, changed_at: str) -> bool:
        """Shows the tier of a promotion on the profile unless the user holds one reached with at
        least as many lifetime points (promotions may arrive out of order or twice: the highest
        wins, once). False: nothing changed, or no such user.
        """
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(user_key(user_id)),
                UpdateExpression="SET #tier = :tier, #lifetime = :lifetime, #at = :at",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(#lifetime) OR #lifetime < :lifetime)"
                ),
                ExpressionAttributeNames={
                    "#tier": "tier",
                    "#lifetime": "tier_lifetime",
                    "#at": "tier_changed_at",
                },
                ExpressionAttributeValues=marshal(
                    {":tier": tier, ":lifetime": lifetime_earned, ":at": changed_at}
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def tags(self, user_id: str) -> list[TagCount]:
        """Every tag counted on the user (one partition, no scan)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ProjectionExpression": "#tag, #count, last_seen",
            "ExpressionAttributeNames": {"#tag": "tag", "#count": "count"},
            "ExpressionAttributeValues": marshal({":pk": f"USER#{user_id}", ":prefix": TAG_PREFIX}),
        }
        found: list[TagCount] = []
        while True:
            page = self._ddb.query(**kwargs)
            found.extend(TagCount.model_validate(unmarshal(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count_scan_tags(
        self, user_id: str, code: str, tags: Sequence[str], claimed_at: str, guard_expires_at: int
    ) -> bool:
        """Adds one to each tag of a scan, at most once per scan. Returns False when the scan had
        been counted before."""
        guard = {**scan_guard_key(user_id, code), "entity": "ScanSeen", "claimed_at": claimed_at}
        return self._count_tags(user_id, guard, tags, claimed_at, guard_expires_at)

    def count_order_tags(
        self, user_id: str, order_id: str, tags: Sequence[str], placed_at: str, guard_expires_at: int
    ) -> bool:
        """Adds one to each tag of a redeemed reward, at most once per order. Returns False when
        the order had been counted before."""
        guard = {**order_guard_key(user_id, order_id), "entity": "OrderSeen", "placed_at": placed_at}
        return self._count_tags(user_id, guard, tags, placed_at, guard_expires_at)

    def _count_tags(
        self, user_id: str, guard: Mapping[str, Any], tags: Sequence[str], seen_at: str, guard_expires_at: int
    ) -> bool:
        """The guard item is put in the same transaction as the counts with `attribute_not_exists`,
        so a redelivered event changes nothing."""
        guard = {**guard, "user_id": user_id, "expires_at": guard_expires_at}
        actions = [TxAction(self._put_new(guard), _already_counted)]
        for tag in tags:
            actions.append(
                TxAction(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": marshal(tag_key(user_id, tag)),
                            "UpdateExpression": "ADD #count :one SET last_seen = :seen, #tag = :tag, "
                            "entity = :entity, user_id = :user",
                            "ExpressionAttributeNames": {"#count": "count", "#tag": "tag"},
                            "ExpressionAttributeValues": marshal(
                                {
                                    ":one": 1,
                                    ":seen": seen_at,
                                    ":tag": tag,
                                    ":entity": "Tag",
                                    ":user": user_id,
                                }
                            ),
                        }
                    }
                )
            )
        try:
            transact(self._ddb, actions)
        except _AlreadyCounted:
            return False
        return True

    def _get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        response = self._ddb.get_item(TableName=self._table, Key=marshal(key), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else unmarshal(item)

    def _put_new(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": marshal(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
