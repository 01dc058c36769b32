"""The per-container copy of revoked sessions (platform/sessions.py), against an in-memory set: which
partitions a refresh reads, and what a revocation stops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from earnloop.platform.sessions import Revocation, Revocations, partition

T0 = datetime(2027, 5, 4, 10, 0, 30, tzinfo=UTC)


class Written:
    """The revocations written so far, and the (partition, since) of each Query made."""

    def __init__(self) -> None:
        self.items: list[Revocation] = []
        self.queries: list[tuple[str, datetime]] = []

    def query(self, pk: str, since: datetime) -> Iterator[Revocation]:
        self.queries.append((pk, since))
        return iter([r for r in self.items if partition(r.at) == pk and r.at >= since])


def copy(written: Written) -> Revocations:
    return Revocations(refresh_s=60, lifetime_s=2 * 3600, query=written.query)


def revoked(
    revocations: Revocations, now: datetime, *, user: str = "u1", sid: str = "s1", issued: datetime = T0
) -> bool:
    return revocations.revoked(user_id=user, session_id=sid, issued_at=int(issued.timestamp()), now=now)


def test_a_cold_copy_reads_the_lifetime_then_nothing_until_stale_then_only_what_is_new() -> None:
    written = Written()
    revocations = copy(written)
    assert not revoked(revocations, T0)
    assert [pk for pk, _ in written.queries] == [
        "REVOKED#2027-05-04T08",
        "REVOKED#2027-05-04T09",
        "REVOKED#2027-05-04T10",
    ]
    assert written.queries[0][1] == T0 - timedelta(hours=2)

    written.items.append(Revocation("session", "s1", T0 + timedelta(seconds=5)))
    assert not revoked(revocations, T0 + timedelta(seconds=59))  # fresh: not read, not seen yet
    assert len(written.queries) == 3
    assert revoked(revocations, T0 + timedelta(seconds=60))  # stale: read again
    # From a minute before the last refresh (10:00:30), so across the hour's turn: two partitions.
    since = T0 - timedelta(seconds=60)
    assert written.queries[3:] == [("REVOKED#2027-05-04T09", since), ("REVOKED#2027-05-04T10", since)]
    assert revoked(revocations, T0 + timedelta(seconds=130))
    assert written.queries[5:] == [("REVOKED#2027-05-04T10", T0)]  # the next one: this hour only
    assert not revoked(revocations, T0 + timedelta(seconds=61), sid="s2")


def test_a_late_commit_stamped_before_the_last_refresh_is_still_found() -> None:
    written = Written()
    revocations = copy(written)
    revoked(revocations, T0)
    # Stamped 30 s before the refresh at T0, committed after it: the next refresh overlaps a minute.
    written.items.append(Revocation("session", "s1", T0 - timedelta(seconds=30)))
    assert revoked(revocations, T0 + timedelta(seconds=60))


def test_a_user_revocation_stops_sessions_begun_until_then_and_not_later_ones_nor_others() -> None:
    written = Written()
    written.items.append(Revocation("user", "u1", T0 - timedelta(minutes=5)))
    revocations = copy(written)
    assert revoked(revocations, T0, issued=T0 - timedelta(hours=1))
    assert revoked(revocations, T0, issued=T0 - timedelta(minutes=5))  # the same second
    assert not revoked(revocations, T0, issued=T0 - timedelta(minutes=4))
    assert not revoked(revocations, T0, user="u2", sid="s9", issued=T0 - timedelta(hours=1))


def test_revocations_older_than_every_live_token_are_dropped_and_a_clock_moved_back_reloads() -> None:
    written = Written()
    written.items.append(Revocation("session", "s1", T0))
    revocations = copy(written)
    assert revoked(revocations, T0)
    later = T0 + timedelta(hours=2, seconds=1)
    assert not revoked(revocations, later)  # the token it stopped has expired anyway: forgotten
    assert revoked(revocations, T0 + timedelta(seconds=1))  # time moved back (local clock): read again
