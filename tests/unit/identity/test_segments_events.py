"""What a change of a user item's segment means on the bus."""

from __future__ import annotations

from earnloop.identity.events import derive
from earnloop.identity.segments_events import SegmentChanged
from earnloop.platform.events import Change

BASE = {
    "pk": "USER#u1",
    "sk": "PROFILE",
    "entity": "User",
    "user_id": "u1",
    "created_at": "2026-12-01T02:00:00Z",
}


def change(old: dict | None, new: dict) -> Change:
    return Change("identity", "MODIFY" if old else "INSERT", old, new)


def segment_events(old: dict | None, new: dict) -> list[SegmentChanged]:
    return [e for e in derive(change(old, new)) if isinstance(e, SegmentChanged)]


def test_a_segment_change_is_derived_with_its_scores_and_first_scan():
    old = {**BASE, "segment": "at_risk", "segment_since": "2027-01-01T19:00:00Z"}
    new = {
        **old,
        "segment": "sleeping",
        "segment_since": "2027-02-28T19:00:00.000Z",
        "rfm": {"r": 1, "f": 2, "m": 3},
        "first_scan_at": "2026-12-01T03:00:00.000Z",
    }
    assert segment_events(old, new) == [
        SegmentChanged(
            user_id="u1",
            from_segment="at_risk",
            to_segment="sleeping",
            rfm={"r": 1, "f": 2, "m": 3},
            changed_at="2027-02-28T19:00:00.000Z",
            first_scan_at="2026-12-01T03:00:00.000Z",
        )
    ]


def test_no_event_without_a_segment_or_when_it_stays():
    assert segment_events(None, BASE) == []
    active = {**BASE, "segment": "active", "activity_count": 1}
    assert segment_events(active, {**active, "activity_count": 2}) == []
    first = segment_events(BASE, {**BASE, "segment": "new", "segment_since": BASE["created_at"]})
    assert [(e.from_segment, e.to_segment) for e in first] == [(None, "new")]
