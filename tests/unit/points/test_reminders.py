# ruff: noqa: RUF001
"""Expiry reminders without I/O: the window's pieces, the event a reminder item derives and the
inbox text it becomes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from earnloop.identity.consumed_events import PointsExpiringSoon as Consumed
from earnloop.identity.notifications_texts import draft
from earnloop.platform.events import Change
from earnloop.points.events import PointsExpiringSoon, derive
from earnloop.points.reminders import plan_reminders


def test_the_run_at_10_in_shanghai_queries_only_the_window_dates_of_every_shard():
    # 2026-12-29 02:00 UTC is 10:00 in Shanghai; 2026-12-28 20:00 UTC is already the 29th there.
    for moment in (datetime(2026, 12, 29, 2, tzinfo=UTC), datetime(2026, 12, 28, 20, tzinfo=UTC)):
        pieces = plan_reminders(moment, shards=4, days=3)
        assert {(p.due, p.shard) for p in pieces} == {
            (date(2026, 12, d), s) for d in (29, 30, 31) for s in range(4)
        }
        assert {(p.on, p.until) for p in pieces} == {(date(2026, 12, 29), date(2026, 12, 31))}


def test_only_an_inserted_reminder_item_derives_points_expiring_soon():
    item = {"entity": "ExpiryReminder", "user_id": "u1", "expires_on": "2026-12-31", "points": 70}
    [event] = derive(Change(table="points", kind="INSERT", new=item, old=None))
    assert isinstance(event, PointsExpiringSoon)
    assert (event.user_id, event.expires_on, event.points) == ("u1", "2026-12-31", 70)
    # Its TTL deletion tells nobody anything.
    assert derive(Change(table="points", kind="REMOVE", new=None, old=item)) == []


def test_the_note_says_how_many_points_expire_on_which_day_once_per_user_and_date():
    note = draft(Consumed(user_id="u1", expires_on="2027-02-28", points=1200))
    assert note.text == "您有 1200 积分将于 2027年2月28日 过期，请尽快使用。"
    assert (note.user_id, note.kind, note.ref.type, note.ref.id) == (
        "u1",
        "points_expiring",
        "points",
        "2027-02-28",
    )
    assert note.dedupe_key == "points#expiring#2027-02-28"
