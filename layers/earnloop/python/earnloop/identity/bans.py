"""Bans: an admin ends a user's access (issue 10, items 4 and 5).

A ban is ONE transaction on the identity table: the profile's `banned_at`, `ban_reason` and
`banned_until` (absent: until unbanned), the revocation of every session of the user
(`identity.sessions.user_revocation`), the admin's audit record (`platform.audit`) and a
ConditionCheck that the admin still is one. The profile update is conditioned on the ban state as
read, so the record's before/after are exact even when two admins act at once. A banned user's
next login is refused (identity/service.py `login`), and the tokens issued before the ban stop
working within a revocation refresh. An unban clears the fields (and is audited); a ban whose
`banned_until` has passed ends by itself, with no write. A ban is not a sanction: points are
untouched (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from earnloop.identity.sessions import user_revocation
from earnloop.identity.store import live_admin_check, user_key
from earnloop.platform.audit import admin_action, audit_put
from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.dynamo import TransactionConflictError, TxAction, marshal, transact, unmarshal
from earnloop.platform.errors import ConcurrencyError, NotFoundError, ValidationFailedError
from earnloop.platform.observability import logger, metrics

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

_FIELDS = ("banned_at", "ban_reason", "banned_until")


@dataclass(frozen=True)
class BanState:
    """A user's ban as stored: `banned_at` None means not banned."""

    banned_at: str | None = None
    reason: str | None = None
    until: str | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> BanState:
        return cls(item.get("banned_at"), item.get("ban_reason"), item.get("banned_until"))

    def in_force(self, now: datetime) -> bool:
        """Banned now: a ban recorded and not past its `until`."""
        return self.banned_at is not None and (self.until is None or now < parse_iso(self.until))

    def audit_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {"banned": self.banned_at is not None}
        view.update({k: v for k, v in (("reason", self.reason), ("until", self.until)) if v is not None})
        return view


def _changed(_: Mapping[str, Any]) -> Exception:
    return ConcurrencyError("the user's ban changed meanwhile, please retry")


class Bans:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def state(self, user_id: str) -> BanState:
        """The user's ban as stored (strongly consistent).

        Raises:
            NotFoundError: no such user.
        """
        found = self._ddb.get_item(
            TableName=self._table,
            Key=marshal(user_key(user_id)),
            ConsistentRead=True,
            ProjectionExpression="pk, " + ", ".join(_FIELDS),
        ).get("Item")
        if found is None:
            raise NotFoundError("no such user")
        return BanState.of(unmarshal(found))

    def ban(
        self, user_id: str, *, admin_id: str, reason: str, until: datetime | None, now: datetime
    ) -> BanState:
        """Bans `user_id` (again: a repeat replaces the reason and end, and revokes again); returns
        the ban as stored now.

        Raises:
            ValidationFailedError: an admin banning themselves, or an end not in the future.
            NotFoundError: no such user.
            UnauthenticatedError, ForbiddenError: the admin is gone or no longer an admin.
            ConcurrencyError: another admin changed the ban meanwhile.
        """
        if user_id == admin_id:
            raise ValidationFailedError("an admin cannot ban themselves")
        if until is not None and until <= now:
            raise ValidationFailedError(
                "until must be in the future", errors=[{"loc": ["body", "until"], "msg": "not in the future"}]
            )
        before = self.state(user_id)
        after = BanState(iso(now), reason, iso(until) if until is not None else None)
        sets = {"banned_at": after.banned_at, "ban_reason": reason}
        if after.until is not None:
            sets["banned_until"] = after.until
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in sets)
        if after.until is None:
            expression += " REMOVE #banned_until"
        update = self._profile_update(user_id, before, expression, {f":{k}": v for k, v in sets.items()})
        self._commit(
            "ban",
            user_id,
            admin_id,
            reason,
            now,
            before,
            after,
            # Every token issued at or before this instant stops working (platform/sessions.py).
            extra=[update, user_revocation(user_id, "banned", now)],
        )
        metrics.add_metric(name="UsersBanned", unit="Count", value=1)
        logger.info("user banned", extra={"user_id": user_id, "admin": admin_id, "until": after.until})
        return after

    def unban(self, user_id: str, *, admin_id: str, reason: str, now: datetime) -> tuple[BanState, bool]:
        """Lifts the ban; returns the state now and whether anything changed (an unbanned user is
        left alone, and no record is written).

        Raises:
            NotFoundError: no such user. UnauthenticatedError, ForbiddenError, ConcurrencyError: as `ban`.
        """
        before = self.state(user_id)
        if before.banned_at is None:
            return before, False
        update = self._profile_update(user_id, before, "REMOVE #banned_at, #ban_reason, #banned_until", {})
        self._commit("unban", user_id, admin_id, reason, now, before, BanState(), extra=[update])
        logger.info("user unbanned", extra={"user_id": user_id, "admin": admin_id})
        return BanState(), True

    def _profile_update(
        self, user_id: str, before: BanState, expression: str, values: dict[str, Any]
    ) -> TxAction:
        # Conditioned on the ban as read: the audit record's `before` is the state replaced.
        if before.banned_at is None:
            condition = "attribute_exists(pk) AND attribute_not_exists(#banned_at)"
        else:
            condition = "#banned_at = :seen"
            values = {**values, ":seen": before.banned_at}
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": marshal(user_key(user_id)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {
                f"#{name}": name for name in _FIELDS if f"#{name}" in f"{expression} {condition}"
            },
        }
        if values:
            update["ExpressionAttributeValues"] = marshal(values)
        return TxAction({"Update": update}, on_condition_failed=_changed)

    def _commit(
        self,
        action: str,
        user_id: str,
        admin_id: str,
        reason: str,
        now: datetime,
        before: BanState,
        after: BanState,
        *,
        extra: list[TxAction],
    ) -> None:
        record = admin_action(
            "identity",
            actor=f"admin:{admin_id}",
            action=action,
            target=user_id,
            reason=reason,
            now=now,
            before=before.audit_view(),
            after=after.audit_view(),
        )
        actions = [live_admin_check(self._table, admin_id), *extra, audit_put(self._table, record)]
        try:
            transact(self._ddb, actions)
        except TransactionConflictError as error:
            raise ConcurrencyError("the user is being changed, please retry") from error
