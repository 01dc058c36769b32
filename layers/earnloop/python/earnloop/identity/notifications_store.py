"""Keys and expressions of the notifications inbox, in the identity table under each user.

Items (beside those of `identity.store`, in the same `USER#<id>` partition, so one user's inbox
takes that user's events only and no key is shared between users):
    USER#<id>   NOTE#<notification id>    entity=Notification       kind, text, ref, created_at, read_at?
    USER#<id>   SEEN#notify#<dedupe key>  entity=NotificationSeen   the event was turned into a note
    USER#<id>   INBOX                     entity=Inbox              read_before: the "all read" watermark

Notification ids are ULIDs, so `NOTE#<id>` sorts by creation: a page is one query, newest first.
Every note and guard carries `expires_at` (TTL), so an inbox holds about the last 90 days.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.identity.notifications_models import NoticeDraft, Notification
from earnloop.platform.dynamo import (
    TxAction,
    cancellation_reasons,
    decode_cursor,
    encode_cursor,
    is_condition_failure,
    marshal,
    transact,
    translate_cancellation,
    unmarshal,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

NOTE_PREFIX = "NOTE#"
# Above every ULID character and below the next prefix ("NOTE#~" < "NOTEKEY", "PROFILE", "SEEN#"...):
# the upper bound of a key range over the notes alone.
NOTE_END = "NOTE#~"
INBOX = "INBOX"
_CURSOR = {"sk": re.compile(r"NOTE#[0-9A-HJKMNP-TV-Z]{26}")}


class AlreadyNotifiedError(Exception):
    """The event's guard exists: this is a redelivery of an event already in the inbox."""


class NotesMissingError(Exception):
    """Ids named in a mark-read that are no note of the caller's (someone else's, never issued, or
    deleted by TTL)."""

    def __init__(self, note_ids: Sequence[str]) -> None:
        super().__init__(f"{len(note_ids)} ids name no note")
        self.note_ids = list(note_ids)


def partition(user_id: str) -> str:
    return f"USER#{user_id}"


def note_key(user_id: str, note_id: str) -> dict[str, str]:
    return {"pk": partition(user_id), "sk": f"{NOTE_PREFIX}{note_id}"}


def guard_key(user_id: str, dedupe_key: str) -> dict[str, str]:
    return {"pk": partition(user_id), "sk": f"SEEN#notify#{dedupe_key}"}


def inbox_key(user_id: str) -> dict[str, str]:
    return {"pk": partition(user_id), "sk": INBOX}


def note_item(draft: NoticeDraft, note_id: str, created_at: str, expires_at: int) -> dict[str, Any]:
    """The stored note a draft becomes."""
    return {
        **note_key(draft.user_id, note_id),
        "entity": "Notification",
        "id": note_id,
        "user_id": draft.user_id,
        "kind": draft.kind,
        "text": draft.text,
        "ref": draft.ref.model_dump(),
        "created_at": created_at,
        "expires_at": expires_at,
    }


def already_notified(_: Mapping[str, Any]) -> Exception:
    return AlreadyNotifiedError()


_already = already_notified


class InboxStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def add(self, draft: NoticeDraft, note_id: str, created_at: str, expires_at: int) -> bool:
        """Puts the note and its event's guard in one transaction: the guard's `attribute_not_exists`
        makes a redelivered event (same dedupe key) write nothing. Returns False for a redelivery."""
        guard = {
            **guard_key(draft.user_id, draft.dedupe_key),
            "entity": "NotificationSeen",
            "user_id": draft.user_id,
            "note_id": note_id,
            "expires_at": expires_at,
        }
        note = note_item(draft, note_id, created_at, expires_at)
        try:
            transact(self._ddb, [TxAction(self._put_new(guard), _already), TxAction(self._put_new(note))])
        except AlreadyNotifiedError:
            return False
        return True

    def page(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
        """One page of the user's notes, newest first, and the next page's cursor (None: last page).

        Raises:
            ValidationFailedError: the cursor is not one this query issued.
        """
        start = decode_cursor(cursor, _CURSOR, fixed={"pk": {"S": partition(user_id)}})
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": marshal({":pk": partition(user_id), ":prefix": NOTE_PREFIX}),
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
            next_cursor = encode_cursor(marshal(note_key(user_id, page[-1]["id"])), drop=("pk",))
        return [Notification.model_validate(item) for item in page], next_cursor

    def read_before(self, user_id: str) -> str | None:
        """The "all read" watermark: every note whose id is at or below it is read."""
        response = self._ddb.get_item(
            TableName=self._table,
            Key=marshal(inbox_key(user_id)),
            ProjectionExpression="read_before",
            ConsistentRead=True,
        )
        value = unmarshal(response.get("Item", {})).get("read_before")
        return value if isinstance(value, str) else None

    def mark_read(self, user_id: str, note_ids: Sequence[str], read_at: str) -> None:
        """Marks the notes read in one transaction (at most 100 distinct ids), without reading them
        first: each update is conditioned on the note existing, so an id that is not the user's
        (another user's note is under another partition) or no longer exists writes nothing.

        Raises:
            NotesMissingError: some ids name no note of the user; nothing changed, retry without them.
            TransactionConflictError: another request touched the same notes at the same moment.
        """
        updates = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(note_key(user_id, note_id)),
                    "UpdateExpression": "SET read_at = if_not_exists(read_at, :now)",
                    # Never creates a stray item for an id that is not (or no longer) there.
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": marshal({":now": read_at}),
                }
            }
            for note_id in note_ids
        ]
        # Typed loosely, as `platform.dynamo.transact` does: boto3's stubs want TypedDicts.
        request: dict[str, Any] = {"TransactItems": updates}
        try:
            self._ddb.transact_write_items(**request)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            missing = [
                note_id
                for note_id, reason in zip(note_ids, reasons, strict=False)
                if reason.get("Code") == "ConditionalCheckFailed"
            ]
            if missing:
                raise NotesMissingError(missing) from error
            raise translate_cancellation(error, []) from error

    def newest_id(self, user_id: str) -> str | None:
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=marshal({":pk": partition(user_id), ":prefix": NOTE_PREFIX}),
            ProjectionExpression="#id",
            ExpressionAttributeNames={"#id": "id"},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        return str(unmarshal(items[0])["id"]) if items else None

    def move_watermark(self, user_id: str, note_id: str, updated_at: str) -> bool:
        """Sets `read_before` to `note_id` unless it is there or beyond already (the watermark only
        moves forward, so a slow "all read" never un-reads what a later one covered)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(inbox_key(user_id)),
                UpdateExpression="SET read_before = :id, updated_at = :now, entity = :entity, "
                "user_id = :user",
                ConditionExpression="attribute_not_exists(read_before) OR read_before < :id",
                ExpressionAttributeValues=marshal(
                    {":id": note_id, ":now": updated_at, ":entity": "Inbox", ":user": user_id}
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def unread_count(self, user_id: str, read_before: str | None, window: int) -> int:
        """How many of the user's `window` newest notes above the watermark are unread: one query of
        at most `window` items on the user's own partition (never a scan), whatever the inbox holds."""
        low = f"{NOTE_PREFIX}{read_before}" if read_before else NOTE_PREFIX
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            # A filter may not name a key attribute: the note at the watermark is excluded by its id.
            FilterExpression="attribute_not_exists(read_at) AND #id <> :watermark",
            ExpressionAttributeNames={"#id": "id"},
            ExpressionAttributeValues=marshal(
                {":pk": partition(user_id), ":low": low, ":high": NOTE_END, ":watermark": read_before or "-"}
            ),
            ScanIndexForward=False,
            Select="COUNT",
            Limit=window,
        )
        return int(response.get("Count", 0))

    def _put_new(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": marshal(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
