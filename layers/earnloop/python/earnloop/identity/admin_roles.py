"""Granting and revoking the admin role: an operations command (`earnloop admin grant|revoke`),
never a route. No route writes `roles` (PATCH /v1/me refuses the field), so a user cannot make
themselves an admin; whoever runs this holds the stage's AWS credentials, and the audit record names
them (`ops:<who>`).

Each change is one transaction on the identity table: the user's `roles` (conditioned on the roles as
read, so two operators never overwrite each other) and its `AUDIT#<day>` record. A grant to an admin
or a revoke from a non-admin changes nothing and records nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from earnloop.identity.rules import ADMIN
from earnloop.identity.store import user_key
from earnloop.platform.audit import admin_action, audit_put
from earnloop.platform.dynamo import TxAction, marshal, transact, unmarshal
from earnloop.platform.errors import ConcurrencyError, NotFoundError, ValidationFailedError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

Change = Literal["grant", "revoke"]


class RolesChangedError(ConcurrencyError):
    """The user's roles changed between our read and our write."""


def _roles_changed(_: Mapping[str, Any]) -> Exception:
    return RolesChangedError("the user's roles changed meanwhile; run it again")


def change_admin_role(
    ddb: DynamoDBClient,
    table: str,
    user_id: str,
    change: Change,
    *,
    operator: str,
    reason: str,
    now: datetime,
) -> bool:
    """Grants or revokes `admin` on `user_id`; True when it changed something.

    Raises:
        NotFoundError: no such user.
        ValidationFailedError: an empty operator or reason.
        RolesChangedError: someone changed the user's roles meanwhile (run it again).
    """
    if not operator.strip() or not reason.strip():
        raise ValidationFailedError("an operator and a reason are required")
    found = ddb.get_item(TableName=table, Key=marshal(user_key(user_id)), ConsistentRead=True).get("Item")
    if found is None:
        raise NotFoundError(f"no such user: {user_id}")
    roles = list(unmarshal(found).get("roles") or [])
    after = sorted({*roles, ADMIN}) if change == "grant" else [r for r in roles if r != ADMIN]
    if after == sorted(roles):
        return False
    values = {":after": marshal({"v": after})["v"]}
    if "roles" in found:  # the roles as read, exactly: no lost update between two operators
        condition = "#roles = :before"
        values[":before"] = found["roles"]
    else:
        condition = "attribute_exists(pk) AND attribute_not_exists(#roles)"
    update = TxAction(
        {
            "Update": {
                "TableName": table,
                "Key": marshal(user_key(user_id)),
                "UpdateExpression": "SET #roles = :after",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#roles": "roles"},
                "ExpressionAttributeValues": values,
            }
        },
        on_condition_failed=_roles_changed,
    )
    record = admin_action(
        "identity",
        actor=f"ops:{operator.strip()}",
        action=f"{change}_admin",
        target=user_id,
        reason=reason.strip(),
        now=now,
        before={"roles": sorted(roles)},
        after={"roles": after},
    )
    transact(ddb, [update, audit_put(table, record)])
    return True
