"""The pure rules of check-ins: the streak and the day's points."""

from __future__ import annotations

from datetime import date

import pytest
from earnloop.points.checkins import CheckIn, day_points, next_streak


def checked(streak: int) -> CheckIn:
    return CheckIn(user_id="u", day=date(2027, 1, 31), streak=streak, points=5, checked_in_at="x")


def test_the_streak_grows_from_yesterday_and_restarts_without_it() -> None:
    assert next_streak(None) == 1
    assert next_streak(checked(1)) == 2
    assert next_streak(checked(13)) == 14


@pytest.mark.parametrize(
    ("streak", "expected"), [(1, 5), (6, 5), (7, 10), (8, 5), (13, 5), (14, 10), (21, 10), (22, 5)]
)
def test_every_seventh_day_of_a_streak_pays_the_multiplier(streak: int, expected: int) -> None:
    assert day_points(5, streak, bonus_day=7, multiplier=2, cap=None) == expected


def test_the_bonus_day_and_multiplier_are_settings_and_the_cap_bounds_the_bonus() -> None:
    assert [day_points(5, s, bonus_day=3, multiplier=3, cap=None) for s in range(1, 7)] == [
        5,
        5,
        15,
        5,
        5,
        15,
    ]
    assert day_points(5, 7, bonus_day=7, multiplier=2, cap=8) == 8
    assert day_points(5, 1, bonus_day=1, multiplier=1, cap=None) == 5
