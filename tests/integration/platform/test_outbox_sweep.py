"""The generic outbox sweep on a moto table of its own: a marked item is touched only once due, its
touch is what a deriver republishes from, a confirmed item is left alone, and a marker swept
`max_sweeps` times is given up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from earnloop.local.provision import table_request
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.events import Change, DomainEvent
from earnloop.platform.outbox_sweep import (
    OutboxSweeper,
    Sweep,
    outbox_index,
    pending_attributes,
    pending_event_item,
    republished,
    was_swept,
)
from earnloop.platform.resources import Table
from moto import mock_aws

from tests.conftest import forget_settings_and_secrets

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
SWEEP = Sweep("thing_done", delay=timedelta(minutes=30), max_sweeps=2, shards=2)
TABLE = Table("outboxtest", gsis=(outbox_index(),))


class ThingDone(DomainEvent):
    source = "earnloop.test"
    detail_type = "ThingDone"

    thing_id: str


@pytest.fixture
def sweeper() -> Iterator[OutboxSweeper]:
    with mock_aws():
        forget_settings_and_secrets()
        aws.dynamodb().create_table(**table_request(TABLE, "outboxtest"))
        yield OutboxSweeper(aws.dynamodb(), "outboxtest")
    forget_settings_and_secrets()


def put(item: dict[str, object]) -> None:
    aws.dynamodb().put_item(TableName="outboxtest", Item=marshal(item))


def get(pk: str, sk: str) -> dict[str, object]:
    found = aws.dynamodb().get_item(TableName="outboxtest", Key=marshal({"pk": pk, "sk": sk}))
    return unmarshal(found["Item"])


def thing(thing_id: str) -> dict[str, object]:
    return {"pk": f"THING#{thing_id}", "sk": "THING", "entity": "Thing", "thing_id": thing_id}


def test_a_marked_item_is_touched_once_due_and_its_touch_is_a_sweep(sweeper: OutboxSweeper) -> None:
    put({**thing("a"), **pending_attributes(SWEEP, "a", T0)})
    before = get("THING#a", "THING")

    assert sweeper.sweep(SWEEP, T0 + timedelta(minutes=29)).touched == 0
    assert sweeper.sweep(SWEEP, T0 + timedelta(minutes=30)).touched == 1
    after = get("THING#a", "THING")

    assert after["sweeps"] == 1
    # Due again one delay after the touch, not at every run.
    assert after["due_sk"] == "2026-12-02T09:00:00.000Z"
    assert sweeper.sweep(SWEEP, T0 + timedelta(minutes=45)).touched == 0
    assert was_swept(Change("outboxtest", "MODIFY", before, after))
    assert not was_swept(Change("outboxtest", "MODIFY", before, {**before, "note": "x"}))


def test_a_confirmed_item_is_never_touched(sweeper: OutboxSweeper) -> None:
    put({**thing("b"), **pending_attributes(SWEEP, "b", T0)})

    assert sweeper.confirm({"pk": "THING#b", "sk": "THING"}) is True
    assert sweeper.confirm({"pk": "THING#b", "sk": "THING"}) is False
    result = sweeper.sweep(SWEEP, T0 + timedelta(days=1))

    assert (result.touched, result.exhausted) == (0, 0)
    assert "sweeps" not in get("THING#b", "THING") and "due_pk" not in get("THING#b", "THING")


def test_a_marker_swept_max_times_is_given_up(sweeper: OutboxSweeper) -> None:
    put({**thing("c"), **pending_attributes(SWEEP, "c", T0)})

    runs = [sweeper.sweep(SWEEP, T0 + timedelta(hours=hours)) for hours in (1, 2, 3, 4)]

    assert [(r.touched, r.exhausted) for r in runs] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    item = get("THING#c", "THING")
    assert item["sweeps"] == 2 and "due_pk" not in item and item["sweep_exhausted_at"]


def test_a_marker_item_republishes_its_copy_of_the_event_when_swept(sweeper: OutboxSweeper) -> None:
    event = ThingDone(thing_id="d")
    put(pending_event_item({"pk": "THING#d", "sk": "OUTBOX#thing_done"}, SWEEP, "d", event, T0))
    inserted = get("THING#d", "OUTBOX#thing_done")
    sweeper.sweep(SWEEP, T0 + timedelta(hours=1))
    touched = get("THING#d", "OUTBOX#thing_done")
    events = {"ThingDone": ThingDone}

    assert republished(Change("outboxtest", "INSERT", None, inserted), events) == []
    assert republished(Change("outboxtest", "MODIFY", inserted, touched), events) == [event]
    # A confirmation is a change too, and republishes nothing.
    sweeper.confirm({"pk": "THING#d", "sk": "OUTBOX#thing_done"})
    confirmed = get("THING#d", "OUTBOX#thing_done")
    assert republished(Change("outboxtest", "MODIFY", touched, confirmed), events) == []


def test_the_stage_may_set_a_kinds_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARNLOOP_OUTBOX_DELAYS_S", '{"thing_done": 600}')
    forget_settings_and_secrets()
    try:
        assert pending_attributes(SWEEP, "e", T0)["due_sk"] == "2026-12-02T08:10:00.000Z"
        other = Sweep("other_kind", delay=timedelta(minutes=30))
        assert pending_attributes(other, "e", T0)["due_sk"] == "2026-12-02T08:30:00.000Z"
    finally:
        monkeypatch.delenv("EARNLOOP_OUTBOX_DELAYS_S")
        forget_settings_and_secrets()
