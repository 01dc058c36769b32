"""Lifecycle segments and RFM scores at their boundaries (business days, Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from earnloop.identity.segments_rules import (
    Crossing,
    IndexEntry,
    Lifecycle,
    Thresholds,
    apply_activity,
    crossings,
    index_entry,
    rfm_of,
    segment_of,
)

LIMITS = Thresholds()
# 10:00 in Shanghai on 2026-12-01.
REGISTERED = "2026-12-01T02:00:00.000Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def user(**fields: object) -> Lifecycle:
    return Lifecycle(user_id="u1", created_at=REGISTERED, last_active_at=REGISTERED, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2026, 12, 1), "new"), (date(2026, 12, 7), "new"), (date(2026, 12, 8), "active")],
)
def test_a_user_without_a_scan_is_new_for_seven_days(today, expected):
    assert segment_of(user(), today, LIMITS) == expected


def test_a_scan_ends_the_new_days_at_once():
    scanned = apply_activity(user(), "scan", at("2026-12-02T03:00"), points=50)
    assert scanned.first_scan_at == "2026-12-02T03:00:00.000Z"
    assert segment_of(scanned, date(2026, 12, 2), LIMITS) == "active"


def test_activity_other_than_a_scan_keeps_a_user_new():
    posted = apply_activity(user(), "post", at("2026-12-03T03:00"))
    assert segment_of(posted, date(2026, 12, 3), LIMITS) == "new"
    assert index_entry(posted, "new") == IndexEntry(date(2026, 12, 1), "new")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 30), "active"),
        (date(2026, 12, 31), "at_risk"),  # 30 days after the last activity
        (date(2027, 2, 28), "at_risk"),
        (date(2027, 3, 1), "sleeping"),  # 90 days after
    ],
)
def test_idle_days_make_a_user_at_risk_then_sleeping(today, expected):
    scanned = apply_activity(user(), "scan", at("2026-12-01T03:00"))
    assert segment_of(scanned, today, LIMITS) == expected


def test_days_are_counted_in_shanghai():
    # 23:30 UTC on 11-30 is 07:30 on 12-01 in Shanghai: 30 days later is 12-31.
    late = Lifecycle(user_id="u1", created_at="2026-11-01T00:00:00Z", last_active_at="2026-11-30T23:30:00Z")
    assert segment_of(late, date(2026, 12, 30), LIMITS) == "active"
    assert segment_of(late, date(2026, 12, 31), LIMITS) == "at_risk"


def test_the_last_activity_only_moves_forward_and_the_first_scan_only_back():
    state = apply_activity(user(), "scan", at("2026-12-05T00:00"))
    state = apply_activity(state, "scan", at("2026-12-03T00:00"))
    assert state.last_active_at == "2026-12-05T00:00:00.000Z"
    assert state.first_scan_at == "2026-12-03T00:00:00.000Z"
    assert state.activity_count == 2


def test_registering_is_no_repeat_visit_and_only_scans_and_redemptions_add_volume():
    state = apply_activity(user(), "register", at("2026-12-01T02:00"))
    state = apply_activity(state, "like", at("2026-12-01T03:00"))
    state = apply_activity(state, "redeem", at("2026-12-01T04:00"), points=300)
    assert (state.activity_count, state.points_volume) == (2, 300)


@pytest.mark.parametrize(
    ("idle", "count", "volume", "expected"),
    [
        (0, 0, 0, (5, 1, 1)),
        (6, 2, 99, (5, 1, 1)),
        (7, 3, 100, (4, 2, 2)),
        (14, 8, 500, (3, 3, 3)),
        (30, 20, 2000, (2, 4, 4)),
        (90, 50, 5000, (1, 5, 5)),
    ],
)
def test_rfm_scores_at_their_bounds(idle, count, volume, expected):
    state = Lifecycle(
        user_id="u1",
        created_at="2026-01-01T00:00:00Z",
        last_active_at="2026-06-01T04:00:00Z",
        activity_count=count,
        points_volume=volume,
    )
    today = date.fromordinal(date(2026, 6, 1).toordinal() + idle)
    rfm = rfm_of(state, today)
    assert (rfm.r, rfm.f, rfm.m) == expected


def test_a_sleeper_leaves_the_index_and_others_sit_under_their_last_activity():
    state = apply_activity(user(), "scan", at("2026-12-09T03:00"))
    assert index_entry(state, "sleeping") is None
    assert index_entry(state, "active") == IndexEntry(date(2026, 12, 9), "active")


def test_the_crossings_of_a_day_are_the_threshold_dates_and_their_lookback():
    found = crossings(date(2027, 3, 31), LIMITS, lookback_days=1)
    assert found == [
        Crossing(date(2027, 3, 24), "new"),
        Crossing(date(2027, 3, 1), "active"),
        Crossing(date(2026, 12, 31), None),
    ]
    assert len(crossings(date(2027, 3, 31), LIMITS)) == 9


def test_thresholds_must_ascend():
    with pytest.raises(ValueError, match="ascend"):
        Thresholds(new_days=30, at_risk_days=30, sleeping_days=90)
