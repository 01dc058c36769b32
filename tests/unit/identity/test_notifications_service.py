"""The inbox use cases over a scripted store: how marking read retries, and what "all" writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from earnloop.identity import notifications_service as service
from earnloop.identity.notifications_models import MarkRead, NoticeDraft, Notification
from earnloop.identity.notifications_store import NotesMissingError
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MINE = ["01JDQ3Z8V7X6M5N4B3C2A1Z0Y1", "01JDQ3Z8V7X6M5N4B3C2A1Z0Y2"]
THEIRS = "01JDQ3Z8V7X6M5N4B3C2A1Z0Y9"


class ScriptedInbox:
    """Marks succeed for the caller's own ids; `conflicts` first raises that many conflicts."""

    def __init__(self, own: Sequence[str] = MINE, conflicts: int = 0, newest: str | None = None) -> None:
        self.own = set(own)
        self.conflicts = conflicts
        self.newest = newest
        self.mark_calls: list[list[str]] = []
        self.marked: set[str] = set()
        self.watermarks: list[str] = []

    def mark_read(self, user_id: str, note_ids: Sequence[str], read_at: str) -> None:
        self.mark_calls.append(list(note_ids))
        if self.conflicts:
            self.conflicts -= 1
            raise TransactionConflictError()
        missing = [i for i in note_ids if i not in self.own]
        if missing:
            raise NotesMissingError(missing)
        self.marked |= set(note_ids)

    def newest_id(self, user_id: str) -> str | None:
        return self.newest

    def move_watermark(self, user_id: str, note_id: str, updated_at: str) -> bool:
        self.watermarks.append(note_id)
        return True

    def add(self, draft: NoticeDraft, note_id: str, created_at: str, expires_at: int) -> bool:
        raise AssertionError("not used")

    def page(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
        raise AssertionError("not used")

    def read_before(self, user_id: str) -> str | None:
        raise AssertionError("not used")

    def unread_count(self, user_id: str, read_before: str | None, window: int) -> int:
        raise AssertionError("not used")


def test_foreign_ids_are_dropped_and_the_callers_own_marked_in_a_second_write():
    inbox = ScriptedInbox()
    service.mark_read(inbox, "U1", MarkRead(ids=[THEIRS, *MINE, MINE[0]]), NOW)
    assert inbox.marked == set(MINE)
    assert inbox.mark_calls == [[THEIRS, *MINE], MINE]


def test_only_foreign_ids_write_once_and_change_nothing():
    inbox = ScriptedInbox()
    service.mark_read(inbox, "U1", MarkRead(ids=[THEIRS]), NOW)
    assert inbox.marked == set() and inbox.mark_calls == [[THEIRS]]


def test_a_conflict_is_retried_and_a_lasting_one_is_a_concurrency_error():
    inbox = ScriptedInbox(conflicts=1)
    service.mark_read(inbox, "U1", MarkRead(ids=MINE), NOW)
    assert inbox.marked == set(MINE) and len(inbox.mark_calls) == 2

    with pytest.raises(ConcurrencyError):
        service.mark_read(ScriptedInbox(conflicts=service.MARK_ATTEMPTS), "U1", MarkRead(ids=MINE), NOW)


def test_all_read_moves_the_watermark_to_the_newest_note_and_marks_nothing_one_by_one():
    inbox = ScriptedInbox(newest=MINE[1])
    service.mark_read(inbox, "U1", MarkRead(all=True), NOW)
    assert inbox.watermarks == [MINE[1]] and inbox.mark_calls == []

    empty = ScriptedInbox(newest=None)
    service.mark_read(empty, "U1", MarkRead(all=True), NOW)
    assert empty.watermarks == [] and empty.mark_calls == []
