"""The only place that builds keys and expressions for the points table.

Items on an account's partition `ACCT#<user>`:
- `ACCOUNT` (entity Account): balance, lifetime_earned, status, version, one top-level number per
  expiry bucket `bkt#<YYYY-MM-DD>`, the last promotion (`tier`, `tier_from`, `tier_changed_at`),
  WeChat's risk rank (`risk_rank`, `risk_rank_at`: points/risk_ranks.py),
  and `next_expiry` with the sparse `by_expiry` index attributes `exp_pk = EXP#<date>#<shard>`,
  `exp_sk = <user>`;
- `TXN#<txn-id>` (entity LedgerEntry): one per committed change; `lsi1sk` orders the history;
- `HOLD#<txn-id>` (entity Hold): an earn waiting for the account to be unfrozen, or a pending earn
  waiting for its `release_at` (then in the sparse `by_release` index: `rel_pk = REL#<release
  day>#<shard>`, `rel_sk = <release_at>#<user>`);
- `SANCTION#<txn-id>` (entity Sanction): a fraud verdict's record (points forfeited, holds dropped);
- `REFUSED#<txn-id>` (entity RefusedEarn): an earn refused while the account was barred, with a TTL;
- `CAP#<rule>#<business-date>` (entity DailyCap): points counted against a daily cap, with a TTL;
- `REMIND#<expiry-date>` (entity ExpiryReminder): the user was told of the points due, with a TTL.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from earnloop.platform import aws
from earnloop.platform.clock import business_day, parse_iso
from earnloop.platform.dynamo import (
    OnFail,
    TxAction,
    decode_cursor,
    encode_cursor,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.errors import ConcurrencyError, LimitReachedError, ValidationFailedError
from earnloop.platform.settings import get_settings
from earnloop.points.models import ACTIVE, FROZEN, Account, CapCharge, Hold, LedgerEntry, Posting
from earnloop.points.rules import expiry_shard

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

ACCOUNT_SK = "ACCOUNT"
BUCKET_PREFIX = "bkt#"
HISTORY_INDEX = "by_time"
EXPIRY_INDEX = "by_expiry"
# Accounts by the business day they last changed, sharded (`chg_pk = CHG#<day>#<shard>`, `chg_sk =
# <user>`): the nightly reconciliation's work list.
CHANGE_INDEX = "by_change"
CHANGE_SHARDS = 8
# Pending holds by release day, sharded: the release schedule queries only what is due.
RELEASE_INDEX = "by_release"
RELEASE_SHARDS = 4
# Types whose posting must find the account active and, for a spend, funded (checked again in the
# write, so a stale read can never overdraw or credit a frozen account).
_NEEDS_ACTIVE = frozenset({"earn", "refund", "spend"})
# A history cursor names one ledger entry: `sk = TXN#<txn-id>`, `lsi1sk = <created_at>#<txn-id>`.
_HISTORY_CURSOR = {
    "sk": re.compile(r"TXN#[^\x00-\x1f\x7f]+"),
    "lsi1sk": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[^\x00-\x1f\x7f]+"),
}


class StaleAccountError(ConcurrencyError):
    """The account changed between our read and our write; read it again and retry."""


class AlreadyAppliedError(Exception):
    """The transaction id is already in the ledger. Not a failure: the change happened once."""


def account_key(user_id: str) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": ACCOUNT_SK}


def entry_key(user_id: str, txn_id: str) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": f"TXN#{txn_id}"}


def hold_key(user_id: str, txn_id: str) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": f"HOLD#{txn_id}"}


def cap_key(user_id: str, rule: str, day: date) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": f"CAP#{rule}#{day.isoformat()}"}


def reminder_key(user_id: str, expires_on: date) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": f"REMIND#{expires_on.isoformat()}"}


def expiry_partition(day: date, shard: int) -> str:
    return f"EXP#{day.isoformat()}#{shard}"


def change_partition(day: date, shard: int) -> str:
    """The `by_change` partition of the accounts last changed on business day `day`."""
    return f"CHG#{day.isoformat()}#{shard}"


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


def entry_absent_check(table_name: str, user_id: str, txn_id: str, on_present: OnFail) -> TxAction:
    """A TransactWriteItems ConditionCheck that passes while `txn_id` is not in the user's ledger
    (a post's earn is refused once its clawback is recorded, whichever arrives first)."""
    return TxAction(
        {
            "ConditionCheck": {
                "TableName": table_name,
                "Key": marshal(entry_key(user_id, txn_id)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        on_condition_failed=on_present,
    )


def account_from_item(user_id: str, item: Mapping[str, Any] | None) -> Account:
    """The account from its stored item (plain values); a missing item is an empty, new account."""
    if not item:
        return Account(user_id=user_id)
    buckets = {
        date.fromisoformat(name.removeprefix(BUCKET_PREFIX)): int(points)
        for name, points in item.items()
        if name.startswith(BUCKET_PREFIX)
    }
    return Account(
        user_id=user_id,
        balance=int(item.get("balance", 0)),
        lifetime_earned=int(item.get("lifetime_earned", 0)),
        status=item.get("status", ACTIVE),
        version=int(item.get("version", 0)),
        buckets=buckets,
        next_expiry=date.fromisoformat(item["next_expiry"]) if item.get("next_expiry") else None,
        debt=int(item.get("debt", 0)),
        tier=item.get("tier"),
        opened_at=item.get("opened_at"),
        barred_until=item.get("barred_until"),
        bar_reason=item.get("bar_reason"),
        risk_rank=int(item["risk_rank"]) if item.get("risk_rank") is not None else None,
        risk_rank_at=item.get("risk_rank_at"),
    )


def release_partition(release_at: str, user_id: str) -> str:
    """The `by_release` partition of a pending hold: its release day (UTC) and the user's shard."""
    return f"REL#{release_at[:10]}#{expiry_shard(user_id, RELEASE_SHARDS)}"


class _AlreadyHeldError(Exception):
    pass


# What a failed condition of each kind of transaction item means (see `platform.dynamo.transact`).
_ALREADY_APPLIED: OnFail = lambda reason: AlreadyAppliedError()  # noqa: E731
_ALREADY_HELD: OnFail = lambda reason: _AlreadyHeldError()  # noqa: E731
_STALE: OnFail = lambda reason: StaleAccountError("the account changed while it was being updated")  # noqa: E731
_CAP_REACHED: OnFail = lambda reason: LimitReachedError("daily cap reached")  # noqa: E731


class PointsStore:
    """Reads and writes of the points table. Each write is one transaction."""

    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    @classmethod
    def default(cls) -> PointsStore:
        return cls(aws.dynamodb(), get_settings().table_name("points"))

    def account(self, user_id: str, *, consistent: bool = True) -> Account:
        """The account (version None when it does not exist yet)."""
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(account_key(user_id)), ConsistentRead=consistent
        )
        item = response.get("Item")
        return account_from_item(user_id, unmarshal(item) if item else None)

    def commit(self, posting: Posting, checks: Sequence[TxAction] = ()) -> None:
        """Writes the posting in one transaction, with `checks` (ConditionChecks on other items, such
        as the user being alive) first, so their failure wins over the posting's own.

        Raises:
            whatever a failed check's translation says (nothing was written).
            AlreadyAppliedError: its txn id is in the ledger already (nothing was written).
            StaleAccountError: the account is no longer the one the posting was computed from.
            LimitReachedError: its cap counter has no room left.
            TransactionConflictError: a concurrent transaction touched the same items.
        """
        transact(self._ddb, [*checks, *self.posting_actions(posting)])

    def posting_actions(self, posting: Posting) -> list[TxAction]:
        """The transaction items of a posting, for a caller that adds its own items (redemption
        commits points and stock together). The entry comes first so that a repeated txn id is
        reported as such even when the account has moved on since."""
        actions = [
            TxAction(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(self._entry_item(posting.entry)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                on_condition_failed=_ALREADY_APPLIED,
            ),
            TxAction({"Update": self._account_update(posting)}, on_condition_failed=_STALE),
        ]
        if posting.cap is not None:
            actions.append(TxAction({"Update": self._cap_update(posting)}, on_condition_failed=_CAP_REACHED))
        if posting.release_hold:
            key = hold_key(posting.entry.user_id, posting.entry.txn_id)
            actions.append(TxAction({"Delete": {"TableName": self._table, "Key": marshal(key)}}))
        return actions

    def _entry_item(self, entry: LedgerEntry) -> dict[str, Any]:
        return {
            **entry_key(entry.user_id, entry.txn_id),
            "entity": "LedgerEntry",
            **entry.model_dump(),
            "lsi1sk": f"{entry.created_at}#{entry.txn_id}",
        }

    def _account_update(self, posting: Posting) -> dict[str, Any]:
        account, entry = posting.account, posting.entry
        names = {
            "#entity": "entity",
            "#user_id": "user_id",
            "#balance": "balance",
            "#lifetime": "lifetime_earned",
            "#version": "version",
        }
        values: dict[str, Any] = {
            ":entity": "Account",
            ":user_id": account.user_id,
            ":delta": entry.delta,
            ":lifetime": posting.lifetime_delta,
            ":one": 1,
        }
        # The business day of the change, in the sparse sharded `by_change` index: the nightly
        # reconciliation reads only the accounts changed that day (points/reconcile.py).
        names.update({"#chg_pk": "chg_pk", "#chg_sk": "chg_sk"})
        values[":chg_pk"] = change_partition(
            business_day(parse_iso(entry.created_at)), expiry_shard(account.user_id, CHANGE_SHARDS)
        )
        sets = ["#entity = :entity", "#user_id = :user_id", "#chg_pk = :chg_pk", "#chg_sk = :user_id"]
        # The account's age decides whether its earns are pending (points/pending.py).
        names["#opened"] = "opened_at"
        values[":opened"] = entry.created_at
        sets.append("#opened = if_not_exists(#opened, :opened)")
        if posting.bar is not None:
            names.update({"#barred": "barred_until", "#bar_reason": "bar_reason"})
            values.update({":barred": posting.bar[0], ":bar_reason": posting.bar[1]})
            sets += ["#barred = :barred", "#bar_reason = :bar_reason"]
        removes: list[str] = []
        adds = ["#balance :delta", "#lifetime :lifetime", "#version :one"]
        if posting.debt_delta:
            names["#debt"] = "debt"
            values[":debt"] = posting.debt_delta
            adds.append("#debt :debt")
        if posting.promotion is not None:
            # Kept on the account so the stream's new image says what changed: TierChanged.
            names.update({"#tier": "tier", "#tier_from": "tier_from", "#tier_at": "tier_changed_at"})
            values.update(
                {
                    ":tier_from": posting.promotion[0],
                    ":tier": posting.promotion[1],
                    ":tier_at": entry.created_at,
                }
            )
            sets += ["#tier = :tier", "#tier_from = :tier_from", "#tier_at = :tier_at"]
        if posting.new_status is not None or not account.exists:
            names["#status"] = "status"
            values[":status"] = posting.new_status or ACTIVE
            sets.append("#status = :status")
        if posting.next_expiry != account.next_expiry:
            names.update({"#next": "next_expiry", "#exp_pk": "exp_pk", "#exp_sk": "exp_sk"})
            if posting.next_expiry is None:
                removes += ["#next", "#exp_pk", "#exp_sk"]
            else:
                shard = expiry_shard(account.user_id, get_settings().expiry_shards)
                values[":next"] = posting.next_expiry.isoformat()
                values[":exp_pk"] = expiry_partition(posting.next_expiry, shard)
                sets += ["#next = :next", "#exp_pk = :exp_pk", "#exp_sk = :user_id"]
        for position, (day, delta) in enumerate(sorted(posting.bucket_deltas.items())):
            names[f"#b{position}"] = f"{BUCKET_PREFIX}{day.isoformat()}"
            if day in posting.emptied:
                removes.append(f"#b{position}")
            else:
                values[f":b{position}"] = delta
                adds.append(f"#b{position} :b{position}")
        expression = f"SET {', '.join(sets)} ADD {', '.join(adds)}"
        if removes:
            expression += f" REMOVE {', '.join(removes)}"

        if account.exists:
            conditions = ["#version = :seen"]
            values[":seen"] = account.version
            if entry.entry_type in _NEEDS_ACTIVE:
                names["#status"] = "status"
                values[":frozen"] = FROZEN
                conditions.append("#status <> :frozen")
            if entry.delta < 0 and entry.entry_type == "spend":
                values[":amount"] = -entry.delta
                conditions.append("#balance >= :amount")
            condition = " AND ".join(conditions)
        else:
            condition = "attribute_not_exists(pk)"
        return {
            "TableName": self._table,
            "Key": marshal(account_key(account.user_id)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": marshal(values),
        }

    def _cap_update(self, posting: Posting) -> dict[str, Any]:
        cap = posting.cap
        assert cap is not None
        return {
            "TableName": self._table,
            "Key": marshal(cap_key(posting.account.user_id, cap.rule, cap.day)),
            "UpdateExpression": (
                "SET #entity = :entity, #expires = if_not_exists(#expires, :expires) ADD #n :points"
            ),
            "ConditionExpression": "attribute_not_exists(#n) OR #n <= :ceiling",
            "ExpressionAttributeNames": {"#entity": "entity", "#expires": "expires_at", "#n": "n"},
            "ExpressionAttributeValues": marshal(
                {
                    ":entity": "DailyCap",
                    ":expires": cap.expires_at,
                    ":points": cap.points,
                    ":ceiling": cap.ceiling,
                }
            ),
        }

    def entry(self, user_id: str, txn_id: str) -> LedgerEntry | None:
        """One ledger entry, strongly consistent (a refund reads the buckets its spend took)."""
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(entry_key(user_id, txn_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return LedgerEntry.model_validate(unmarshal(item)) if item else None

    def entry_exists(self, user_id: str, txn_id: str) -> bool:
        response = self._ddb.get_item(
            TableName=self._table,
            Key=marshal(entry_key(user_id, txn_id)),
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        return "Item" in response

    def put_hold(self, hold: Hold) -> bool:
        """Keeps an earn for later, only while the account is frozen and the earn not yet applied.
        False: it was held already.

        Raises:
            StaleAccountError: the account is not frozen (any more): apply the earn instead.
            AlreadyAppliedError: its txn id is in the ledger already.
        """
        command = hold.command
        frozen = {
            "TableName": self._table,
            "Key": marshal(account_key(command.user_id)),
            "ConditionExpression": "#status = :frozen",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": marshal({":frozen": FROZEN}),
        }
        not_applied = {
            "TableName": self._table,
            "Key": marshal(entry_key(command.user_id, command.txn_id)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        item = self._hold_item(hold)
        try:
            transact(
                self._ddb,
                [
                    TxAction({"ConditionCheck": not_applied}, on_condition_failed=_ALREADY_APPLIED),
                    TxAction({"ConditionCheck": frozen}, on_condition_failed=_STALE),
                    TxAction(
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": marshal(item),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        on_condition_failed=_ALREADY_HELD,
                    ),
                ],
            )
        except _AlreadyHeldError:
            return False
        return True

    def _hold_item(self, hold: Hold) -> dict[str, Any]:
        command = hold.command
        item: dict[str, Any] = {
            **hold_key(command.user_id, command.txn_id),
            "entity": "Hold",
            "command": command.model_dump(mode="json", exclude_none=True),
            "held_at": hold.held_at,
        }
        if hold.release_at is not None:
            item.update(
                release_at=hold.release_at,
                rel_pk=release_partition(hold.release_at, command.user_id),
                rel_sk=f"{hold.release_at}#{command.user_id}",
            )
        return item

    def put_pending_hold(
        self, hold: Hold, account: Account, cap: CapCharge | None, checks: Sequence[TxAction] = ()
    ) -> None:
        """Keeps a pending earn until its `release_at`, in one transaction with `checks`, that the
        earn is not applied yet, that the account is still the one read (so neither a sanction nor
        an earn slipped in; an account not yet there is created, recording when it opened) and, if
        the earn has a daily cap, its charge (counted on the day it was earned, not released).

        Raises:
            AlreadyAppliedError: its txn id is in the ledger, or it is held already.
            StaleAccountError: the account changed since it was read.
            LimitReachedError: the cap has no room for it.
            whatever a failed check's translation says.
        """
        command = hold.command
        names = {"#entity": "entity", "#user_id": "user_id", "#opened": "opened_at", "#status": "status"}
        names.update({"#balance": "balance", "#lifetime": "lifetime_earned", "#version": "version"})
        values: dict[str, Any] = {
            ":entity": "Account",
            ":user_id": command.user_id,
            ":opened": hold.held_at,
            ":active": ACTIVE,
            ":zero": 0,
            ":one": 1,
        }
        if account.exists:
            condition = "#version = :seen"
            values[":seen"] = account.version
        else:
            condition = "attribute_not_exists(pk)"
        account_update = {
            "TableName": self._table,
            "Key": marshal(account_key(command.user_id)),
            "UpdateExpression": (
                "SET #entity = :entity, #user_id = :user_id, #opened = if_not_exists(#opened, :opened), "
                "#status = if_not_exists(#status, :active) ADD #balance :zero, #lifetime :zero, #version :one"
            ),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": marshal(values),
        }
        not_applied = {
            "TableName": self._table,
            "Key": marshal(entry_key(command.user_id, command.txn_id)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        hold_put = {
            "TableName": self._table,
            "Item": marshal(self._hold_item(hold)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        actions = [
            *checks,
            TxAction({"ConditionCheck": not_applied}, on_condition_failed=_ALREADY_APPLIED),
            TxAction({"Update": account_update}, on_condition_failed=_STALE),
            TxAction({"Put": hold_put}, on_condition_failed=_ALREADY_APPLIED),
        ]
        if cap is not None:
            posting = Posting(
                account=account,
                entry=LedgerEntry(
                    txn_id=command.txn_id,
                    user_id=command.user_id,
                    entry_type="earn",
                    delta=0,
                    balance_after=0,
                    reason=command.reason,
                    actor=command.actor,
                    created_at=hold.held_at,
                ),
                bucket_deltas={},
                emptied=frozenset(),
                next_expiry=None,
                cap=cap,
            )
            actions.append(TxAction({"Update": self._cap_update(posting)}, on_condition_failed=_CAP_REACHED))
        transact(self._ddb, actions)

    def hold(self, user_id: str, txn_id: str) -> Hold | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(hold_key(user_id, txn_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return Hold.model_validate(unmarshal(item)) if item else None

    def holds_due(self, day: date, shard: int, until: str) -> list[tuple[str, str]]:
        """(user id, txn id) of the pending holds of release day `day` (UTC), in one shard, whose
        `release_at` is at most `until` (ISO)."""
        items = self._query_all(
            TableName=self._table,
            IndexName=RELEASE_INDEX,
            KeyConditionExpression="rel_pk = :pk AND rel_sk <= :until",
            ExpressionAttributeValues=marshal(
                {":pk": f"REL#{day.isoformat()}#{shard}", ":until": until + "~"}
            ),
        )
        return [(item["pk"].removeprefix("ACCT#"), item["sk"].removeprefix("HOLD#")) for item in items]

    def hold_delete_action(self, user_id: str, txn_id: str) -> TxAction:
        return TxAction({"Delete": {"TableName": self._table, "Key": marshal(hold_key(user_id, txn_id))}})

    def record_put_action(self, item: dict[str, Any]) -> TxAction:
        """A Put of a record item on an account's partition (a sanction's), in a posting's transaction."""
        return TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=_ALREADY_APPLIED,
        )

    def record_refusal(self, user_id: str, txn_id: str, reason: str, at: str, expires_at: int) -> bool:
        """Records an earn refused while barred, once (False: recorded before)."""
        item = {
            "pk": f"ACCT#{user_id}",
            "sk": f"REFUSED#{txn_id}",
            "entity": "RefusedEarn",
            "user_id": user_id,
            "txn_id": txn_id,
            "reason": reason,
            "refused_at": at,
            "expires_at": expires_at,
        }
        try:
            self._ddb.put_item(
                TableName=self._table, Item=marshal(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_risk_rank(self, user_id: str, rank: int, at: str) -> bool:
        """Puts WeChat's risk rank of the user on the account, unless a newer one is there (False).

        The version is not moved: an earn planned from the account as read a moment before is as
        good as one that came before the rank. An account not there yet is created empty, opened
        now (its age starts at registration, when the first rank is asked) and version 0, as the
        earns' conditions expect of an existing account.
        """
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(account_key(user_id)),
                UpdateExpression=(
                    "SET #entity = :entity, #user_id = :user_id, #rank = :rank, #rank_at = :at, "
                    "#opened = if_not_exists(#opened, :at), #status = if_not_exists(#status, :active), "
                    "#version = if_not_exists(#version, :zero), #balance = if_not_exists(#balance, :zero), "
                    "#lifetime = if_not_exists(#lifetime, :zero)"
                ),
                ConditionExpression="attribute_not_exists(#rank_at) OR #rank_at < :at",
                ExpressionAttributeNames={
                    "#entity": "entity",
                    "#user_id": "user_id",
                    "#rank": "risk_rank",
                    "#rank_at": "risk_rank_at",
                    "#opened": "opened_at",
                    "#status": "status",
                    "#version": "version",
                    "#balance": "balance",
                    "#lifetime": "lifetime_earned",
                },
                ExpressionAttributeValues=marshal(
                    {
                        ":entity": "Account",
                        ":user_id": user_id,
                        ":rank": rank,
                        ":at": at,
                        ":active": ACTIVE,
                        ":zero": 0,
                    }
                ),
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def holds(self, user_id: str) -> list[Hold]:
        """Every held earn of the user, oldest txn id first."""
        return [Hold.model_validate(item) for item in self._partition(user_id, "HOLD#")]

    def delete_hold(self, user_id: str, txn_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=marshal(hold_key(user_id, txn_id)))

    def entries(self, user_id: str) -> list[LedgerEntry]:
        """The whole ledger of a user (reconciliation and tests; the app pages `history`)."""
        return [LedgerEntry.model_validate(item) for item in self._partition(user_id, "TXN#")]

    def _partition(self, user_id: str, prefix: str) -> list[dict[str, Any]]:
        return self._query_all(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=marshal({":pk": f"ACCT#{user_id}", ":prefix": prefix}),
            ConsistentRead=True,
        )

    def _query_all(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self._ddb.query(**kwargs)
            items += [unmarshal(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def history(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """One page of the user's ledger, newest first, and the cursor of the next page (None: last).

        Raises:
            ValidationFailedError: the cursor is not one this query issued.
        """
        partition = f"ACCT#{user_id}"
        start = decode_cursor(cursor, _HISTORY_CURSOR, fixed={"pk": {"S": partition}})
        # The two keys of one entry name the same txn id; a cursor mixing entries is not ours.
        if start is not None and not start["lsi1sk"]["S"].endswith("#" + start["sk"]["S"][len("TXN#") :]):
            raise ValidationFailedError("cursor is malformed")
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": HISTORY_INDEX,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": partition}),
            "ScanIndexForward": False,
            # One more than asked tells whether a next page exists without returning an empty one.
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        items = [unmarshal(item) for item in self._ddb.query(**kwargs).get("Items", [])]
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            last = page[-1]
            key = marshal({"pk": partition, "sk": last["sk"], "lsi1sk": last["lsi1sk"]})
            next_cursor = encode_cursor(key, drop=("pk",))
        return [LedgerEntry.model_validate(item) for item in page], next_cursor

    def put_reminder(self, user_id: str, expires_on: date, points: int, expires_at: int) -> bool:
        """Records the reminder of the points due on `expires_on`, once: False when it was already
        there (its stream record is what tells the user)."""
        item = {
            **reminder_key(user_id, expires_on),
            "entity": "ExpiryReminder",
            "user_id": user_id,
            "expires_on": expires_on.isoformat(),
            "points": points,
            "expires_at": expires_at,
        }
        try:
            self._ddb.put_item(
                TableName=self._table, Item=marshal(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def accounts_due(self, day: date, shard: int) -> list[str]:
        """User ids whose earliest bucket expires on `day`, in one shard of the expiry index."""
        items = self._query_all(
            TableName=self._table,
            IndexName=EXPIRY_INDEX,
            KeyConditionExpression="exp_pk = :exp_pk",
            ExpressionAttributeValues=marshal({":exp_pk": expiry_partition(day, shard)}),
        )
        return [item["exp_sk"] for item in items]

    def accounts_due_page(
        self, day: date, shard: int, *, after: str | None = None, limit: int = 100
    ) -> tuple[list[str], bool]:
        """Up to `limit` user ids of `accounts_due`, in user id order, after user id `after` (the
        expiry job resumes where it stopped), and whether more may follow."""
        condition = "exp_pk = :exp_pk"
        values = {":exp_pk": expiry_partition(day, shard)}
        if after is not None:
            # A key condition rather than ExclusiveStartKey: the cursor is a user id, whether or not
            # that account is still in this partition (an expired one has moved on).
            condition += " AND exp_sk > :after"
            values[":after"] = after
        response = self._ddb.query(
            TableName=self._table,
            IndexName=EXPIRY_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=marshal(values),
            Limit=limit,
        )
        users = [unmarshal(item)["exp_sk"] for item in response.get("Items", [])]
        return users, "LastEvaluatedKey" in response
