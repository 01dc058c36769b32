"""The only place that builds keys and expressions for the codes table.

Items: a batch `BATCH#<id>`/`BATCH`, a claim `CODE#<batch>#<serial>`/`CLAIM`, the scan's risk
counters `RISK#scan#<user|device|ip>#<value>`/`RISK` (built by `earnloop.risk.counters`).
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from earnloop.codes.farming import farming_actions
from earnloop.codes.models import Batch, Claim
from earnloop.codes.rules import batch_rejection, pending_shard, rejection_error
from earnloop.identity.store import live_admin_check, live_user_check
from earnloop.platform import aws
from earnloop.platform.audit import changed_fields
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, transact, unmarshal
from earnloop.platform.errors import (
    AccountFrozenError,
    CodeAlreadyClaimedError,
    NotFoundError,
    UnauthenticatedError,
)
from earnloop.platform.settings import get_settings
from earnloop.platform.ttl_cache import TtlCache
from earnloop.points.store import account_not_frozen_check
from earnloop.risk.counters import count_actions, device_accounts_actions

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.platform.audit import AuditOf
    from earnloop.risk.far_apart import ScanLocation
    from earnloop.risk.windows import Gate

BATCH_ENTITY = "Batch"
CLAIM_ENTITY = "Claim"


def batch_key(batch_id: str) -> dict[str, str]:
    return {"pk": f"BATCH#{batch_id}", "sk": "BATCH"}


def claim_key(batch_id: str, serial: int) -> dict[str, str]:
    return {"pk": f"CODE#{batch_id}#{serial}", "sk": "CLAIM"}


def rejection_key(day: str, shard: int) -> dict[str, str]:
    return {"pk": f"REJECTS#{day}#{shard}", "sk": "REJECTS"}


# A rejection counter's attribute per reason: `r#<reason>` = how many that day on that shard.
REJECTION_PREFIX = "r#"


# What a batch's creation records (platform/audit.py): its terms, never who scanned it.
AUDITED_BATCH_FIELDS = (
    "sku",
    "product_name",
    "points",
    "count",
    "tags",
    "campaign",
    "valid_from",
    "valid_until",
    "key_version",
)


class _UnchangedError(Exception):
    """The revocation's condition failed: no such batch, or it was revoked already."""


class BatchIdTakenError(Exception):
    """A new batch id collided with an existing one (40 random bits: astronomically rare)."""


@dataclass(frozen=True)
class ClaimRequest:
    """Everything the scan transaction commits or checks."""

    claim: Claim
    # The attempt's risk allowances (user, device, IP): counted in the same transaction.
    gate: Gate
    now: datetime
    # Where the user scanned, if they let the mini-program say: the far-apart scans rule's place.
    location: ScanLocation | None = None


class CodesStore:
    def __init__(self, ddb: DynamoDBClient, table: str, points_table: str, identity_table: str) -> None:
        self._ddb = ddb
        self._table = table
        self._points_table = points_table
        # Read only through ConditionChecks: writes come from users who exist (and admins who still are).
        self._identity_table = identity_table

    # Batches

    def put_batch(self, batch: Batch, audit: AuditOf | None = None) -> None:
        """Writes a new batch, if its creator is still an admin (checked in the same transaction),
        with the creation's audit record.

        Raises:
            BatchIdTakenError: its id is taken.
            UnauthenticatedError: the creator's user no longer exists.
            ForbiddenError: the creator is no longer an admin.
        """
        item = {**batch_key(batch.batch_id), "entity": BATCH_ENTITY, **batch.model_dump()}
        put = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=lambda _: BatchIdTakenError(batch.batch_id),
        )
        actions = [self._admin_check(batch.created_by), put]
        if audit is not None:
            before, after = changed_fields({}, batch.model_dump(), AUDITED_BATCH_FIELDS)
            actions.append(audit.put(batch.batch_id, before=before, after=after))
        transact(self._ddb, actions)

    def _admin_check(self, user_id: str) -> TxAction:
        return live_admin_check(self._identity_table, user_id)

    def get_batch(self, batch_id: str) -> Batch | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(batch_key(batch_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return Batch.model_validate(unmarshal(item)) if item else None

    def revoke_batch(self, batch_id: str, by: str, now: datetime, audit: AuditOf | None = None) -> Batch:
        """Marks a batch revoked, if `by` still is an admin, with the revocation's audit record;
        revoking a revoked batch changes and records nothing but returns it. (A transaction returns
        no item: the batch is read back after it.)

        Raises:
            NotFoundError: no such batch.
            UnauthenticatedError: the admin's user no longer exists.
            ForbiddenError: `by` is no longer an admin.
        """
        revoke = TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(batch_key(batch_id)),
                    "UpdateExpression": "SET revoked = :true, revoked_at = :now, revoked_by = :by",
                    # Only a batch not yet revoked: a repeat must not write a second audit record.
                    "ConditionExpression": "attribute_exists(pk) AND revoked <> :true",
                    "ExpressionAttributeValues": marshal({":true": True, ":now": iso(now), ":by": by}),
                }
            },
            on_condition_failed=lambda _: _UnchangedError(batch_id),
        )
        actions = [self._admin_check(by), revoke]
        if audit is not None:
            actions.append(audit.put(batch_id, before={"revoked": False}, after={"revoked": True}))
        # A failed condition: missing (404 below) or revoked already (answered as it is).
        with suppress(_UnchangedError):
            transact(self._ddb, actions)
        batch = self.get_batch(batch_id)
        if batch is None:
            raise NotFoundError("no such batch")
        return batch

    # Claims

    def claim(self, request: ClaimRequest) -> None:
        """Claims a code, counts the scan against its risk limits (user, device, IP), and checks the batch is
        still open and the account not frozen: all in one transaction.

        The actions are listed in the order their failures should win when several fail at once:
        a dead code is reported before a frozen account, a taken code before a rate limit (waiting
        would not help).

        Raises:
            UnauthenticatedError: the user no longer exists.
            InvalidCodeError: the batch is revoked or outside its window.
            AccountFrozenError: the user's points account is frozen.
            CodeAlreadyClaimedError: anyone claimed this code before.
            RateLimitedError: a subject reached its sliding-window limit (Retry-After: when one
                more attempt fits).
            TransactionConflictError: a concurrent transaction touched the same items.
        """
        claim, now = request.claim, iso(request.now)
        claim_item = {
            **claim_key(claim.batch_id, claim.serial),
            "entity": CLAIM_ENTITY,
            **claim.model_dump(),
            "pending_pk": f"PENDING#{pending_shard(claim.scan_id)}",
            "pending_sk": claim.claimed_at,
        }
        batch_check = TxAction(
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": marshal(batch_key(claim.batch_id)),
                    "ConditionExpression": (
                        "revoked = :false"
                        " AND (attribute_not_exists(valid_from) OR valid_from <= :now)"
                        " AND (attribute_not_exists(valid_until) OR valid_until > :now)"
                    ),
                    "ExpressionAttributeValues": marshal({":false": False, ":now": now}),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            on_condition_failed=_batch_closed(request.now),
        )
        frozen_check = TxAction(
            account_not_frozen_check(self._points_table, claim.user_id),
            on_condition_failed=lambda _: AccountFrozenError("the points account is frozen"),
        )
        put_claim = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(claim_item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=lambda _: CodeAlreadyClaimedError(
                "this code has been claimed already", scan_id=claim.scan_id
            ),
        )
        # A token outlives its user: only a user who still exists may claim (checked first, so a
        # deleted user is told so whatever else is wrong).
        live_user = live_user_check(
            self._identity_table,
            claim.user_id,
            missing=UnauthenticatedError("the token's user no longer exists"),
        )
        transact(
            self._ddb,
            [
                live_user,
                batch_check,
                frozen_check,
                put_claim,
                *count_actions(self._table, request.gate),
                *device_accounts_actions(
                    self._table,
                    request.gate,
                    claim.user_id,
                    request.now,
                    get_settings().scan_accounts_per_device_day,
                ),
                *farming_actions(self._table, request),
            ],
        )

    def count_rejection(self, day: str, shard: int, reason: str, expires_at: int) -> None:
        """Adds one `reason` rejection to the counter of (business `day`, `shard`); its stream
        tells the statistics (`ScanRejectionsCounted`)."""
        self._ddb.update_item(
            TableName=self._table,
            Key=marshal(rejection_key(day, shard)),
            UpdateExpression=(
                "ADD #reason :one SET entity = :entity, #day = :day, #shard = :shard, expires_at = :exp"
            ),
            ExpressionAttributeNames={
                "#reason": f"{REJECTION_PREFIX}{reason}",
                "#day": "day",
                "#shard": "shard",
            },
            ExpressionAttributeValues=marshal(
                {":one": 1, ":entity": "RejectionCounter", ":day": day, ":shard": shard, ":exp": expires_at}
            ),
        )

    def get_claim(self, batch_id: str, serial: int) -> Claim | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(claim_key(batch_id, serial)), ConsistentRead=True
        )
        item = response.get("Item")
        return Claim.model_validate(unmarshal(item)) if item else None

    def mark_credited(
        self, batch_id: str, serial: int, code: str, user_id: str, credited_at: str
    ) -> tuple[Claim | None, bool]:
        """Flips `user_id`'s accepted claim of `code` to credited and takes it off the pending index.

        Returns the claim as it is now (None when there is no claim of that code) and whether this
        call changed it. A claim credited already is left as it is: a redelivered event is a no-op.
        """
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key=marshal(claim_key(batch_id, serial)),
                UpdateExpression="SET #status = :credited, credited_at = :at REMOVE pending_pk, pending_sk",
                ConditionExpression="code = :code AND user_id = :user AND #status = :accepted",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=marshal(
                    {
                        ":credited": "credited",
                        ":accepted": "accepted",
                        ":at": credited_at,
                        ":code": code,
                        ":user": user_id,
                    }
                ),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            # ReturnValuesOnConditionCheckFailure puts the claim as it was beside the error.
            old = cast("dict[str, Any] | None", error.response.get("Item"))
            current = Claim.model_validate(unmarshal(old)) if old else None
            return (current if current is not None and current.code == code else None), False
        return Claim.model_validate(unmarshal(response["Attributes"])), True

    # The sweep: accepted claims whose `ScanClaimed` never got through

    def stale_pending_claims(self, shard: int, older_than_iso: str, limit: int) -> list[tuple[str, int]]:
        """`(batch_id, serial)` of up to `limit` claims of pending shard `shard` accepted before
        `older_than_iso`, oldest first (one page of the sparse index: the next run takes the rest)."""
        response = self._ddb.query(
            TableName=self._table,
            IndexName="pending_claims",
            KeyConditionExpression="pending_pk = :shard AND pending_sk < :older_than",
            ExpressionAttributeValues=marshal({":shard": f"PENDING#{shard}", ":older_than": older_than_iso}),
            Limit=limit,
        )
        return [_claim_ref(unmarshal(item)["pk"]) for item in response.get("Items", [])]

    def touch_for_sweep(self, batch_id: str, serial: int, now_iso: str) -> bool:
        """Counts a sweep on a still-accepted claim; its stream record republishes `ScanClaimed`.

        Returns False when the claim is no longer accepted (credited meanwhile): nothing to do.
        """
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(claim_key(batch_id, serial)),
                UpdateExpression="ADD sweeps :one SET swept_at = :now",
                ConditionExpression="#status = :accepted",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=marshal({":one": 1, ":now": now_iso, ":accepted": "accepted"}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True


def _claim_ref(pk: str) -> tuple[str, int]:
    """`(batch_id, serial)` of a claim key `CODE#<batch>#<serial>`."""
    _, batch_id, serial = pk.split("#")
    return batch_id, int(serial)


def codes_store() -> CodesStore:
    """The store on this stage's tables (cheap: the client is created once per container)."""
    settings = get_settings()
    return CodesStore(
        aws.dynamodb(),
        settings.table_name("codes"),
        settings.table_name("points"),
        settings.table_name("identity"),
    )


def _batch_closed(now: datetime) -> Callable[[Mapping[str, Any]], Exception]:
    def translate(reason: Mapping[str, Any]) -> Exception:
        item = reason.get("Item")
        # Without the old image (an emulator may omit it) the batch can only have been revoked:
        # its window was checked against the same clock before the transaction.
        batch = unmarshal(item) if item else {}
        return rejection_error(batch_rejection(batch, now) or "revoked", batch)

    return translate


class BatchCache(TtlCache[Batch]):
    """Batches by id, kept for `ttl_s` per container: a promotional spike reads each batch once a
    minute, not once a scan. Staleness is safe: the scan transaction re-checks revocation and window."""

    def __init__(
        self, ttl_s: float = 60.0, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(ttl_s, max_entries, clock)
