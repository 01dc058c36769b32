"""The farming rules' pure parts: the distance and speed of far-apart scans, and when a burst
counter's write flags (risk/far_apart.py, risk/bursts.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from earnloop.platform.clock import iso
from earnloop.risk.bursts import burst_flag
from earnloop.risk.far_apart import ScanLocation, distance_km, far_apart
from earnloop.risk.windows import SlidingWindow
from pydantic import ValidationError

AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
BEIJING, SHANGHAI = (39.9042, 116.4074), (31.2304, 121.4737)


def place(where: tuple[float, float], minutes: float) -> dict[str, Any]:
    return {
        "latitude": where[0],
        "longitude": where[1],
        "at": iso(AT + timedelta(minutes=minutes)),
        "min_km": 100,
        "max_kmh": 600,
    }


def test_beijing_to_shanghai_is_about_1070_km():
    assert 1060 < distance_km(BEIJING, SHANGHAI) < 1075
    assert distance_km(BEIJING, BEIJING) == 0


@pytest.mark.parametrize(
    ("minutes", "flagged"),
    [(5, True), (60, True), (100, True), (110, False), (240, False), (0, True)],
)
def test_far_apart_scans_flag_only_faster_than_the_bound(minutes, flagged):
    # 1068 km at 600 km/h takes 107 minutes: sooner is faster than a plane.
    evidence = far_apart(place(SHANGHAI, minutes), place(BEIJING, 0))
    assert (evidence is not None) is flagged


def test_nearby_places_never_flag_and_a_first_place_has_nothing_to_compare():
    near = (39.95, 116.45)  # a few km: GPS drift, the next street
    assert far_apart(place(near, 0.01), place(BEIJING, 0)) is None
    assert far_apart(place(BEIJING, 0), None) is None
    # A redelivered record whose images are the same write changes nothing.
    assert far_apart(place(SHANGHAI, 5), place(SHANGHAI, 5)) is None


def test_a_location_outside_the_globe_or_not_a_number_is_refused():
    for bad in (
        {"latitude": 90.5, "longitude": 0},
        {"latitude": 0, "longitude": -181},
        {"latitude": "1", "longitude": 2},
    ):
        with pytest.raises(ValidationError):
            ScanLocation.model_validate(bad)
    with pytest.raises(ValidationError):
        ScanLocation.model_validate_json('{"latitude": NaN, "longitude": 0}')


WINDOW = SlidingWindow(600, 10)


def counter(user: str, at: datetime, counts: dict[int, int]) -> dict[str, Any]:
    return {
        "pk": "RISK#batch-device#B1#dev-1",
        "rule": "batch_device",
        "user_id": user,
        "window_s": 600,
        "buckets": 10,
        "threshold": 3,
        "last_at": iso(at),
        "evidence": {"batch_id": "B1", "device_id": "dev-1"},
        **{f"b{b}": n for b, n in counts.items()},
    }


def test_a_burst_flags_at_its_threshold_once_per_user_and_forgets_an_old_burst():
    b = WINDOW.bucket(AT)
    first, second = counter("u1", AT, {b: 1}), counter("u1", AT, {b: 2})
    third = counter("u1", AT, {b: 3})
    assert burst_flag(first, None) is None and burst_flag(second, first) is None
    flag = burst_flag(third, second)
    assert (
        flag is not None and flag.flag_id == f"batch_device#B1#dev-1#u1#{b}" and flag.evidence["count"] == 3
    )
    # The same user's fourth: no new flag; another user's: flagged.
    assert burst_flag(counter("u1", AT, {b: 4}), third) is None
    other = burst_flag(counter("u2", AT, {b: 4}), third)
    assert other is not None and other.user_id == "u2"
    # Three codes spread over more than the window never are a burst.
    later = AT + timedelta(minutes=12)
    assert (
        burst_flag(counter("u1", later, {b: 2, WINDOW.bucket(later): 1}), counter("u1", AT, {b: 2})) is None
    )
