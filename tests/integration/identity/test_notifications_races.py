"""Races on one inbox, on DynamoDB Local (moto's transactions are not thread-safe): simultaneous
deliveries of one event, marks of overlapping ids beside "all read", watermarks out of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.identity import notifications_service as service
from earnloop.identity.consumed_events import PostRejected
from earnloop.identity.context import CONTEXT as IDENTITY
from earnloop.identity.notifications_models import MarkRead
from earnloop.identity.notifications_store import InboxStore
from earnloop.platform.dynamo import unmarshal
from earnloop.platform.errors import ConcurrencyError

from tests.support.races import fresh_table, race_client, run_together

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

LI = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
THREADS = 8


@pytest.fixture
def ddb(dynamodb_local: str) -> DynamoDBClient:
    return race_client(dynamodb_local, THREADS * 2)


@pytest.fixture
def inbox(ddb: DynamoDBClient) -> InboxStore:
    return InboxStore(ddb, fresh_table(ddb, IDENTITY.table))


def items(inbox: InboxStore, ddb: DynamoDBClient) -> list[dict[str, Any]]:
    # A look at a whole small test table; never on a request path.
    table = inbox._table
    return [unmarshal(item) for item in ddb.scan(TableName=table, ConsistentRead=True)["Items"]]


def rejected(post_id: str) -> PostRejected:
    return PostRejected(post_id=post_id, author_id=LI, reason="spam")


def until_done(job: Callable[[], Any]) -> Callable[[], Any]:
    """Runs again on a lost race, as SQS redelivers a failed message or a client retries a 409."""

    def run() -> Any:
        while True:
            try:
                return job()
            except ConcurrencyError:
                continue

    return run


def test_simultaneous_deliveries_of_one_event_make_one_notification(inbox, ddb):
    event = rejected("P1")
    added = run_together([until_done(lambda: service.notify(inbox, event, NOW)) for _ in range(THREADS)])

    assert sorted(added) == [False] * (THREADS - 1) + [True]
    entities = sorted(item["entity"] for item in items(inbox, ddb))
    assert entities == ["Notification", "NotificationSeen"]


def test_overlapping_marks_and_all_read_leave_every_note_read_and_no_stray_item(inbox, ddb):
    for n in range(12):
        service.notify(inbox, rejected(f"P{n}"), NOW + timedelta(seconds=n))
    notes, _ = inbox.page(LI, 100, None)
    ids = [note.id for note in notes]
    # A foreign (never issued) id rides along: it must not become an item.
    stranger = "01JDQ3Z8V7X6M5N4B3C2A1ZZZZ"
    jobs = [
        until_done(
            lambda chunk=[*ids[i : i + 6], stranger]: service.mark_read(inbox, LI, MarkRead(ids=chunk), NOW)
        )
        for i in range(0, 12, 3)
    ]
    jobs.append(until_done(lambda: service.mark_read(inbox, LI, MarkRead(all=True), NOW)))
    run_together(jobs)

    assert service.unread_count(inbox, LI) == 0
    notes, _ = inbox.page(LI, 100, None)
    assert all(note.public(inbox.read_before(LI)).read for note in notes)
    assert len([item for item in items(inbox, ddb) if item["entity"] == "Notification"]) == 12
    assert not [item for item in items(inbox, ddb) if item["sk"].endswith(stranger)]


def test_the_watermark_never_moves_back(inbox):
    for n in range(3):
        service.notify(inbox, rejected(f"P{n}"), NOW)
    notes, _ = inbox.page(LI, 100, None)
    newest, older = notes[0].id, notes[2].id

    results = run_together(
        [lambda: inbox.move_watermark(LI, newest, "t"), lambda: inbox.move_watermark(LI, older, "t")]
    )
    assert inbox.read_before(LI) == newest
    assert True in results
    assert service.unread_count(inbox, LI) == 0
