"""Revoking sessions: a logout stops one session, a ban or a deletion every session of a user.

Each revocation is one item of the sparse `REVOKED#<hour>` set that every token-checking function
reads through its per-container copy (platform/sessions.py): it takes effect everywhere within
`Settings.session_refresh_s`, and TTL removes it once every token it could stop has expired.

A context that bans or deletes a user puts `user_revocation(...)` in the same TransactWriteItems as
the ban or deletion, so the one cannot commit without the other; `revoke_user` writes it alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TxAction, marshal
from earnloop.platform.sessions import RevocationKind, revocation_key, revocations_table
from earnloop.platform.settings import get_settings

# Why a user's sessions end (the risk context's ban, issue 10's account deletion, an operator).
UserRevocationReason = Literal["banned", "deleted", "operator"]


def _item(kind: RevocationKind, subject: str, user_id: str, reason: str, at: datetime) -> dict[str, Any]:
    # Kept until every token issued before `at` has expired (plus the readers' overlap), then TTL.
    expires = at + timedelta(seconds=get_settings().token_ttl_s + 3600)
    return {
        **revocation_key(kind, subject, at),
        # No event derives from it (identity.events ignores the entity).
        "entity": "SessionRevoked",
        "kind": kind,
        "user_id": user_id,
        "reason": reason,
        "revoked_at": iso(at),
        "expires_at": int(expires.timestamp()),
    }


def _put(item: dict[str, Any]) -> dict[str, Any]:
    # A revocation is idempotent: a repeat (same subject, same millisecond) rewrites the same item.
    return {"Put": {"TableName": revocations_table(), "Item": marshal(item)}}


def user_revocation(user_id: str, reason: UserRevocationReason, at: datetime) -> TxAction:
    """The action ending every session of `user_id` begun at or before `at`: for the transaction of
    the ban or deletion itself."""
    return TxAction(_put(_item("user", user_id, user_id, reason, at)))


def revoke_user(user_id: str, reason: UserRevocationReason, at: datetime) -> None:
    """Ends every session of `user_id` begun at or before `at`, on its own (one PutItem)."""
    aws.dynamodb().put_item(**_put(_item("user", user_id, user_id, reason, at))["Put"])


def revoke_session(user_id: str, session_id: str, at: datetime) -> None:
    """Ends one session (a logout); the user's other sessions live on."""
    aws.dynamodb().put_item(**_put(_item("session", session_id, user_id, "logout", at))["Put"])
