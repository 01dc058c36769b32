"""Keys and writes of subscribe-message grants, in the identity table under each user.

Items:
    USER#<id>  GRANT#<template id>          entity=SubscribeGrant  count: one-time subscriptions held
    USER#<id>  SEEN#subscribe#<dedupe key>  entity=SubscribeSent   the message an event sent (TTL)

A grant is one `ADD count 1` per accepted template, in one transaction with a check that the user
exists. A send spends one in a transaction with the event's guard: `count >= :reserve` (a low-value
kind leaves the last grants to more valuable ones) and the guard's `attribute_not_exists`, so a
message is sent at most once per event and never without a grant, however the deliveries race.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.identity.store import live_user_check
from earnloop.platform.dynamo import TxAction, cancellation_reasons, marshal, transact, unmarshal
from earnloop.platform.errors import UnauthenticatedError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

GRANT_PREFIX = "GRANT#"


class _GrantedError(Exception):
    """The push's grants were counted before."""


def _granted(_: Mapping[str, Any]) -> Exception:
    return _GrantedError()


def grant_key(user_id: str, template_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"{GRANT_PREFIX}{template_id}"}


def sent_key(user_id: str, dedupe_key: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"SEEN#subscribe#{dedupe_key}"}


class GrantStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def add(self, user_id: str, template_ids: Sequence[str], at: str, guard: str | None = None) -> bool:
        """One more grant of each (distinct) template, in one transaction; with `guard` (a push id),
        at most once per guard. Returns False when the guard was there (nothing written).

        Raises:
            UnauthenticatedError: the user no longer exists.
        """
        actions = [
            live_user_check(
                self._table, user_id, missing=UnauthenticatedError("the token's user no longer exists")
            )
        ]
        if guard is not None:
            seen = {"pk": f"USER#{user_id}", "sk": f"SEEN#grant#{guard}", "entity": "GrantSeen", "at": at}
            put = {
                "TableName": self._table,
                "Item": marshal(seen),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            actions.append(TxAction({"Put": put}, _granted))
        for template_id in dict.fromkeys(template_ids):
            actions.append(
                TxAction(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": marshal(grant_key(user_id, template_id)),
                            "UpdateExpression": "ADD #count :one SET entity = :entity, user_id = :user, "
                            "template_id = :template, updated_at = :at",
                            "ExpressionAttributeNames": {"#count": "count"},
                            "ExpressionAttributeValues": marshal(
                                {
                                    ":one": 1,
                                    ":entity": "SubscribeGrant",
                                    ":user": user_id,
                                    ":template": template_id,
                                    ":at": at,
                                }
                            ),
                        }
                    }
                )
            )
        try:
            transact(self._ddb, actions)
        except _GrantedError:
            return False
        return True

    def grants(self, user_id: str) -> dict[str, int]:
        """Every template the user holds grants for, with how many (one query of their partition)."""
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=marshal({":pk": f"USER#{user_id}", ":prefix": GRANT_PREFIX}),
            ProjectionExpression="template_id, #count",
            ExpressionAttributeNames={"#count": "count"},
            ConsistentRead=True,
        )
        items = [unmarshal(item) for item in response.get("Items", [])]
        return {str(item["template_id"]): int(item["count"]) for item in items}

    def spend(self, user_id: str, template_id: str, reserve: int, record: Mapping[str, Any]) -> bool:
        """Takes one grant if the user holds at least `reserve`, and records the send under the
        event's guard (`record` holds `dedupe_key` and what is sent). False: no grant to spare, or
        the event sent its message already; nothing was written."""
        guard = {**sent_key(user_id, str(record["dedupe_key"])), "entity": "SubscribeSent", **record}
        request: dict[str, Any] = {
            "TransactItems": [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": marshal(grant_key(user_id, template_id)),
                        "UpdateExpression": "SET #count = #count - :one",
                        "ConditionExpression": "#count >= :reserve",
                        "ExpressionAttributeNames": {"#count": "count"},
                        "ExpressionAttributeValues": marshal({":one": 1, ":reserve": reserve}),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(guard),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        }
        try:
            self._ddb.transact_write_items(**request)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
                return False
            raise
        return True

    def refund(self, user_id: str, template_id: str) -> None:
        """Gives back a grant a message did not use (WeChat refused the message itself, or failed)."""
        self._ddb.update_item(
            TableName=self._table,
            Key=marshal(grant_key(user_id, template_id)),
            UpdateExpression="ADD #count :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues=marshal({":one": 1}),
        )

    def clear(self, user_id: str, template_id: str) -> None:
        """WeChat says the user holds no subscription (43101): ours was wrong (a grant the client
        claimed but WeChat never gave, or one spent elsewhere), so none is left."""
        self._ddb.update_item(
            TableName=self._table,
            Key=marshal(grant_key(user_id, template_id)),
            UpdateExpression="SET #count = :zero",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues=marshal({":zero": 0}),
        )
