"""Races on a media item, on DynamoDB Local (moto's transactions are not atomic between threads):
copies of the worker recording one upload, and a verdict against the sweep."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.content.context import CONTEXT
from earnloop.content.media_models import Media
from earnloop.content.media_store import MediaStore, Outcome, media_key, trace_key
from earnloop.platform.dynamo import marshal, unmarshal

from tests.support.races import fresh_table, race_client

if TYPE_CHECKING:
    from collections.abc import Callable

COPIES = 8
NOW = "2026-12-02T10:00:00.000Z"


@pytest.fixture(scope="module")
def store(dynamodb_local: str) -> MediaStore:
    ddb = race_client(dynamodb_local, COPIES)
    return MediaStore(ddb, fresh_table(ddb, CONTEXT.table))


def pending(store: MediaStore) -> str:
    media = Media(
        media_id=uuid.uuid4().hex,
        owner_id="u1",
        kind="image",
        declared_type="image/jpeg",
        declared_size=1000,
        created_at=NOW,
    )
    store.create(media, datetime.now(UTC), per_hour=1000)
    return media.media_id


def race(work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` in COPIES threads released together; their results, in order."""
    start = threading.Barrier(COPIES, timeout=30)
    results: list[Any] = [None] * COPIES

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except BaseException as error:  # the test asserts on it
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def item(store: MediaStore, key: dict[str, str]) -> dict[str, Any] | None:
    found = store._ddb.get_item(TableName=store._table, Key=marshal(key), ConsistentRead=True).get("Item")
    return unmarshal(found) if found else None


def test_copies_recording_one_upload_leave_one_outcome_and_one_trace_lookup(store: MediaStore) -> None:
    media_id = pending(store)
    renditions = {"display": f"media/{media_id}/display.jpg"}

    recorded = race(
        lambda i: store.record(
            media_id,
            Outcome("pending", moderation="pending", trace_id=f"t-{media_id}-{i}", renditions=renditions),
            NOW,
        )
    )

    assert recorded.count(True) == 1 and recorded.count(False) == COPIES - 1, recorded
    winner = recorded.index(True)
    assert item(store, media_key(media_id))["trace_id"] == f"t-{media_id}-{winner}"  # type: ignore[index]
    lookups = [item(store, trace_key(f"t-{media_id}-{i}")) is not None for i in range(COPIES)]
    assert lookups == [i == winner for i in range(COPIES)]


def test_contrary_outcomes_racing_leave_the_first_one_recorded(store: MediaStore) -> None:
    media_id = pending(store)
    outcomes = [Outcome("ready", moderation="pass"), Outcome("rejected", reason="damaged")]

    recorded = race(lambda i: store.record(media_id, outcomes[i % 2], NOW))

    assert recorded.count(True) == 1, recorded
    decided = item(store, media_key(media_id))
    assert decided is not None and decided["status"] == ("ready", "rejected")[recorded.index(True) % 2]


def test_verdicts_and_the_sweep_racing_settle_a_waiting_item_once(store: MediaStore) -> None:
    media_id = pending(store)
    trace = f"t-{media_id}"
    assert store.record(media_id, Outcome("pending", moderation="pending", trace_id=trace), NOW)
    settlers = [
        Outcome("rejected", reason="moderation"),
        Outcome("ready", moderation="pass"),
        Outcome("ready", moderation="review"),  # what the sweep applies to an overdue check
    ]

    settled = race(lambda i: store.settle(media_id, trace, settlers[i % 3], NOW))

    assert settled.count(True) == 1, settled
    won = settlers[settled.index(True) % 3]
    decided = item(store, media_key(media_id))
    assert decided is not None and decided["status"] == won.status and "sweep_pk" not in decided
