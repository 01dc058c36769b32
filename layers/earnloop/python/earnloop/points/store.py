"""The only place that builds keys and expressions for the points table."""

from __future__ import annotations

from typing import Any

from earnloop.platform.dynamo import marshal

FROZEN = "frozen"


def account_key(user_id: str) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": "ACCOUNT"}


def account_not_frozen_check(table_name: str, user_id: str) -> dict[str, Any]:
    """A TransactWriteItems ConditionCheck that passes unless the user's points account is frozen
    (an account not yet created passes). Other contexts put it in their own transactions."""
    return {
        "ConditionCheck": {
            "TableName": table_name,
            "Key": marshal(account_key(user_id)),
            "ConditionExpression": "attribute_not_exists(#status) OR #status <> :frozen",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": marshal({":frozen": FROZEN}),
        }
    }
