"""Keys and reads of the nightly reconciliation on the points table (beside `store.py`, which stamps
every account change into the `by_change` index).

Items:
- `RECON#<business day>` / `<user>` (entity LedgerMismatch): an account whose ledger invariants did
  not hold when the run of that day's changes checked it; what an operator lists and acts on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.settings import get_settings
from earnloop.points.models import LedgerEntry
from earnloop.points.store import ACCOUNT_SK, CHANGE_INDEX, account_from_item, change_partition

if TYPE_CHECKING:
    from datetime import date

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.points.models import Account
    from earnloop.points.reconcile import Mismatch

MISMATCH_ENTITY = "LedgerMismatch"


def mismatch_key(day: date, user_id: str) -> dict[str, str]:
    return {"pk": f"RECON#{day.isoformat()}", "sk": user_id}


class ReconcileStore:
    """The reconciliation's reads (the index, one account's partition) and its one write (a record)."""

    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    @classmethod
    def default(cls) -> ReconcileStore:
        return cls(aws.dynamodb(), get_settings().table_name("points"))

    def changed_page(
        self, day: date, shard: int, *, after: str | None = None, limit: int = 100
    ) -> tuple[list[str], bool]:
        """Up to `limit` user ids whose account last changed on business day `day`, in one shard,
        in user id order after `after`, and whether more may follow."""
        condition = "chg_pk = :pk"
        values = {":pk": change_partition(day, shard)}
        if after is not None:
            # A key condition, not ExclusiveStartKey: the cursor is a user id, whether or not that
            # account is still in this partition (a change since has moved it to a later day).
            condition += " AND chg_sk > :after"
            values[":after"] = after
        response = self._ddb.query(
            TableName=self._table,
            IndexName=CHANGE_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=marshal(values),
            Limit=limit,
        )
        users = [unmarshal(item)["chg_sk"] for item in response.get("Items", [])]
        return users, "LastEvaluatedKey" in response

    def ledger(self, user_id: str) -> tuple[Account, list[LedgerEntry]]:
        """The account (with its version as read) and every ledger entry of the user, from one
        strongly consistent query of the partition (paged)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": f"ACCT#{user_id}"}),
            "ConsistentRead": True,
        }
        account_item: dict[str, Any] | None = None
        entries: list[LedgerEntry] = []
        while True:
            response = self._ddb.query(**kwargs)
            for raw in response.get("Items", []):
                item = unmarshal(raw)
                if item["sk"] == ACCOUNT_SK:
                    account_item = item
                elif item["sk"].startswith("TXN#"):
                    entries.append(LedgerEntry.model_validate(item))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return account_from_item(user_id, account_item), entries

    def record(self, mismatch: Mismatch, expires_at: int) -> None:
        """Keeps the mismatch for operators (a rerun of the day overwrites it with what it saw)."""
        item = {
            **mismatch_key(mismatch.day, mismatch.user_id),
            "entity": MISMATCH_ENTITY,
            **mismatch.as_record(),
            "expires_at": expires_at,
        }
        self._ddb.put_item(TableName=self._table, Item=marshal(item))

    def mismatches(self, day: date) -> list[dict[str, Any]]:
        """Every mismatch recorded for business day `day` (one partition, one query per page)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": f"RECON#{day.isoformat()}"}),
        }
        found: list[dict[str, Any]] = []
        while True:
            response = self._ddb.query(**kwargs)
            found += [unmarshal(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
