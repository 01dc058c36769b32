"""Revoked sessions, known to every token-checking function without a read per request.

A revocation (a logout of one session, or a ban or deletion of a user, with its time) is an item of a
small sparse set in the table the session key names (`SigningKey.revocations`): partition
`REVOKED#<UTC hour>`, sort key `<revoked_at>#<kind>#<subject>`, gone by TTL once every token it could
stop has expired. Each container keeps the set in memory and refreshes it at most every
`Settings.session_refresh_s`: one Query of the current hour (two across an hour's turn) for what was
written since its last refresh, or of the token lifetime's hours on a cold start. A request served
while the copy is fresh reads nothing; a revocation takes effect in every container within
`session_refresh_s` of being written (docs/decisions.md, "Sessions live two hours").

The writers are the identity context's (`identity/sessions.py`); this module only names the items
and reads them, so the platform imports no context.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from earnloop.platform import aws
from earnloop.platform.clock import iso, parse_iso, utcnow
from earnloop.platform.resources import SESSION_KEY
from earnloop.platform.settings import get_settings
from earnloop.platform.snapshot import on_restore

RevocationKind = Literal["session", "user"]
PREFIX = "REVOKED#"
# A writer stamps `revoked_at` before its write commits: each refresh reads again this far behind
# its previous one, so a write that commits late (an HTTP function runs at most 10 s) is not missed.
OVERLAP = timedelta(seconds=60)


def partition(at: datetime) -> str:
    return f"{PREFIX}{at.astimezone(UTC):%Y-%m-%dT%H}"


def revocation_key(kind: RevocationKind, subject: str, at: datetime) -> dict[str, str]:
    """The key of the revocation of `subject` (a session id, or a user id) at `at`."""
    return {"pk": partition(at), "sk": f"{iso(at)}#{kind}#{subject}"}


def revocations_table() -> str:
    """The physical table holding the revocations of the session key's tokens."""
    if SESSION_KEY.revocations is None:
        raise RuntimeError("the session key names no revocations table")
    return get_settings().table_name(SESSION_KEY.revocations)


@dataclass(frozen=True)
class Revocation:
    kind: RevocationKind
    subject: str
    at: datetime


Query = Callable[[str, datetime], Iterator[Revocation]]


def query_partition(pk: str, since: datetime) -> Iterator[Revocation]:
    """The revocations of one hour partition written at or after `since` (eventually consistent:
    the overlap of the next refresh covers a write not yet replicated)."""
    request: dict[str, Any] = {
        "TableName": revocations_table(),
        "KeyConditionExpression": "pk = :pk AND sk >= :since",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":since": {"S": iso(since)}},
        "ProjectionExpression": "sk",
    }
    while True:
        page = aws.dynamodb().query(**request)
        for item in page.get("Items", []):
            at, kind, subject = item["sk"]["S"].split("#", 2)
            if kind in ("session", "user"):
                yield Revocation(kind, subject, parse_iso(at))  # type: ignore[arg-type]
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Revocations:
    """One container's copy of the revocations of the last token lifetime."""

    def __init__(self, refresh_s: float, lifetime_s: float, query: Query = query_partition) -> None:
        self._refresh = timedelta(seconds=refresh_s)
        self._lifetime = timedelta(seconds=lifetime_s)
        self._query = query
        self._lock = threading.Lock()
        self._sessions: dict[str, datetime] = {}
        self._users: dict[str, datetime] = {}
        self._fresh_at: datetime | None = None

    def revoked(self, *, user_id: str, session_id: str, issued_at: int, now: datetime) -> bool:
        """Whether the session was logged out, or its user banned or deleted after it began.

        A user revocation stops every token issued at or before it (to the second, so a login in
        the same second as a ban is stopped too); later logins are the banning context's to refuse.
        """
        with self._lock:
            self._refresh_if_stale(now)
            if session_id in self._sessions:
                return True
            user_revoked = self._users.get(user_id)
            return user_revoked is not None and issued_at <= int(user_revoked.timestamp())

    def _refresh_if_stale(self, now: datetime) -> None:
        fresh_at = self._fresh_at
        if fresh_at is not None and timedelta(0) <= now - fresh_at < self._refresh:
            return
        oldest = now - self._lifetime
        if fresh_at is None or now < fresh_at or fresh_at < oldest:
            # A cold start, or a clock moved (locally) out of the window: read the whole lifetime.
            self._sessions.clear()
            self._users.clear()
            since = oldest
        else:
            since = max(fresh_at - OVERLAP, oldest)
        hour = since.replace(minute=0, second=0, microsecond=0)
        while hour <= now:
            for revocation in self._query(partition(hour), since):
                kept = self._sessions if revocation.kind == "session" else self._users
                if revocation.subject not in kept or kept[revocation.subject] < revocation.at:
                    kept[revocation.subject] = revocation.at
            hour += timedelta(hours=1)
        # Entries older than every live token stop nothing: drop them so the copy stays small.
        for kept in (self._sessions, self._users):
            for subject in [s for s, at in kept.items() if at < oldest]:
                del kept[subject]
        self._fresh_at = now


_revocations: Revocations | None = None
_guard = threading.Lock()


def revocations() -> Revocations:
    global _revocations
    with _guard:
        if _revocations is None:
            settings = get_settings()
            _revocations = Revocations(settings.session_refresh_s, settings.token_ttl_s)
        return _revocations


@on_restore
def forget() -> None:
    """Drops the container's copy (each restored snapshot reads its own; tests start afresh)."""
    global _revocations
    with _guard:
        _revocations = None


def is_revoked(user_id: str, session_id: str, issued_at: int, now: datetime | None = None) -> bool:
    return revocations().revoked(
        user_id=user_id, session_id=session_id, issued_at=issued_at, now=now or utcnow()
    )
