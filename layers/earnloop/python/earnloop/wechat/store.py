"""The wechat table: the only module that builds its keys and expressions.

- `TOKEN#<app id>` / `TOKEN`: the access token, its validity (epoch seconds) and the refresh lease;
- `PUSH#<timestamp>#<nonce>` / `PUSH`: a message push already accepted (replay guard, TTL);
- `VERDICT#<trace id>` / `VERDICT`: a media-check verdict, one per trace id (its INSERT becomes
  `MediaCheckVerdict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.platform import aws
from earnloop.platform.dynamo import cancellation_reasons, is_condition_failure, marshal, unmarshal
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TOKEN_ENTITY = "AccessToken"
PUSH_ENTITY = "PushNonce"
VERDICT_ENTITY = "MediaCheckVerdict"
# Verdicts stay long after WeChat's 30 minutes: a late duplicate push must still find its trace id.
VERDICT_RETENTION_S = 30 * 24 * 3600


@dataclass(frozen=True)
class StoredToken:
    token: str
    # Epoch seconds after which WeChat no longer accepts it.
    valid_until: float
    # Epoch seconds after which the next caller fetches a new one (ahead of `valid_until`).
    refresh_after: float


def token_key(app_id: str) -> dict[str, str]:
    return {"pk": f"TOKEN#{app_id}", "sk": "TOKEN"}


def push_key(timestamp: int, nonce: str) -> dict[str, str]:
    return {"pk": f"PUSH#{timestamp}#{nonce}", "sk": "PUSH"}


def verdict_key(trace_id: str) -> dict[str, str]:
    return {"pk": f"VERDICT#{trace_id}", "sk": "VERDICT"}


class TokenStore:
    """The access token shared by every function of an app, and the lease on refreshing it."""

    def __init__(self, ddb: DynamoDBClient, table: str, app_id: str) -> None:
        self._ddb = ddb
        self._table = table
        self._key = marshal(token_key(app_id))

    def read(self) -> StoredToken | None:
        # Consistent: a caller that just lost the lease must see the winner's token once written.
        answer = self._ddb.get_item(TableName=self._table, Key=self._key, ConsistentRead=True)
        item = unmarshal(answer.get("Item") or {})
        token, valid_until = item.get("access_token"), item.get("valid_until")
        refresh_after = item.get("refresh_after", valid_until)
        if not isinstance(token, str) or not isinstance(valid_until, int | float):
            return None
        if not isinstance(refresh_after, int | float):
            refresh_after = valid_until
        return StoredToken(token, float(valid_until), float(refresh_after))

    def take_lease(self, holder: str, now: float, lease_s: float, current: StoredToken | None) -> bool:
        """Whether `holder` now alone may refresh: no live lease, and the stored token is still the
        one the caller saw (so a caller with a stale read does not refresh a fresh token again)."""
        condition = "(attribute_not_exists(lease_until) OR lease_until < :now) AND "
        # Whole seconds: DynamoDB numbers go in as int (boto3 refuses floats).
        values: dict[str, Any] = {":holder": holder, ":until": int(now + lease_s) + 1, ":now": int(now)}
        if current is None:
            condition += "attribute_not_exists(access_token)"
        else:
            condition += "access_token = :seen"
            values[":seen"] = current.token
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET lease_holder = :holder, lease_until = :until, entity = :entity",
                ConditionExpression=condition,
                ExpressionAttributeValues=marshal({**values, ":entity": TOKEN_ENTITY}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def save(self, holder: str, token: StoredToken, fetched_at: float) -> bool:
        """Stores a fetched token and ends `holder`'s lease; False if the lease was lost meanwhile
        (it outlived `lease_s`: the token is still good to use, another caller stores its own)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression=(
                    "SET access_token = :token, valid_until = :valid, refresh_after = :refresh, "
                    "fetched_at = :at "
                    "REMOVE lease_holder, lease_until"
                ),
                ConditionExpression="lease_holder = :holder",
                ExpressionAttributeValues=marshal(
                    {
                        ":token": token.token,
                        ":valid": int(token.valid_until),
                        ":refresh": int(token.refresh_after),
                        ":at": int(fetched_at),
                        ":holder": holder,
                    }
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True


class PushStore:
    """What the message-push endpoint writes: one transaction per accepted push."""

    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def record_verdict(
        self, *, timestamp: int, nonce: str, nonce_expires_at: int, verdict: dict[str, Any], now: int
    ) -> bool:
        """Remembers the push's nonce and puts the verdict, both only if new, in one transaction.

        Returns False, having written nothing, when the nonce was seen before (a replay) or the
        verdict for this trace id exists (WeChat delivering it again): either way the push is done.
        """
        item = {
            **verdict_key(str(verdict["trace_id"])),
            "entity": VERDICT_ENTITY,
            **verdict,
            "received_at": now,
            "expires_at": now + VERDICT_RETENTION_S,
        }
        new_only = "attribute_not_exists(pk)"
        actions: list[Any] = [
            {"Put": self._put(self._nonce(timestamp, nonce, nonce_expires_at), new_only)},
            {"Put": self._put(item, new_only)},
        ]
        try:
            self._ddb.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = {r.get("Code") for r in cancellation_reasons(error)}
            # Cancelled by our conditions alone (not a conflict with another transaction: retry).
            if codes and codes <= {"ConditionalCheckFailed", "None", None}:
                return False
            raise
        return True

    def record_once(self, *, timestamp: int, nonce: str, nonce_expires_at: int, item: dict[str, Any]) -> bool:
        """Remembers the push's nonce and puts `item` (keyed by what the push is about), both only if
        new, in one transaction. False, having written nothing, for a replay or a repeat."""
        new_only = "attribute_not_exists(pk)"
        actions: list[Any] = [
            {"Put": self._put(self._nonce(timestamp, nonce, nonce_expires_at), new_only)},
            {"Put": self._put(item, new_only)},
        ]
        try:
            self._ddb.transact_write_items(TransactItems=actions)
        except ClientError as error:
            codes = {r.get("Code") for r in cancellation_reasons(error)}
            if codes and codes <= {"ConditionalCheckFailed", "None", None}:
                return False
            raise
        return True

    @staticmethod
    def _nonce(timestamp: int, nonce: str, expires_at: int) -> dict[str, Any]:
        # `expires_at` is the table's TTL attribute: DynamoDB drops the item days after the window.
        return {**push_key(timestamp, nonce), "entity": PUSH_ENTITY, "expires_at": expires_at}

    def _put(self, item: dict[str, Any], condition: str) -> dict[str, Any]:
        return {"TableName": self._table, "Item": marshal(item), "ConditionExpression": condition}


def push_store() -> PushStore:
    return PushStore(aws.dynamodb(), get_settings().table_name("wechat"))
