"""Pure rules: the hourly scan window, batch validity, export ranges, pending shards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from earnloop.codes.rules import (
    MAX_EXPORT_ROWS,
    PENDING_SHARDS,
    batch_rejection,
    export_range,
    pending_shard,
    rate_window,
)
from earnloop.platform.errors import ValidationFailedError

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "retry_after"),
    [
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), 3600),
        (datetime(2026, 11, 23, 9, 30, tzinfo=UTC), 1800),
        (datetime(2026, 11, 23, 9, 59, 59, 500_000, tzinfo=UTC), 1),
        (datetime(2026, 11, 23, 9, 59, 59, 999_999, tzinfo=UTC), 1),
        (datetime(2026, 11, 23, 9, 0, 0, 1, tzinfo=UTC), 3600),
    ],
)
def test_a_limited_caller_is_told_to_wait_until_the_hour_ends(moment, retry_after):
    window = rate_window(moment)
    assert window.key == "2026112309"
    assert window.retry_after_s == retry_after


def test_the_window_is_the_utc_hour_whatever_the_caller_zone():
    shanghai = datetime(2026, 11, 23, 17, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert rate_window(shanghai).key == "2026112309"


def test_consecutive_hours_have_different_windows_and_counters_expire_a_day_after_theirs():
    this, following = rate_window(NOW), rate_window(NOW + timedelta(hours=1))
    assert this.key != following.key
    end_of_hour = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert this.expires_at == int((end_of_hour + timedelta(days=1)).timestamp())


def test_a_year_boundary_hour_key():
    assert rate_window(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)).key == "2026123123"


OPEN = {"revoked": False, "valid_from": "2026-11-01T00:00:00.000Z", "valid_until": "2026-12-01T00:00:00.000Z"}


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (OPEN, None),
        ({"revoked": False}, None),
        ({**OPEN, "revoked": True}, "revoked"),
        ({}, "revoked"),
        ({**OPEN, "valid_from": "2026-11-23T09:30:00.001Z"}, "not_yet_valid"),
        ({**OPEN, "valid_from": "2026-11-23T09:30:00.000Z"}, None),
        ({**OPEN, "valid_until": "2026-11-23T09:30:00.000Z"}, "expired"),
        ({**OPEN, "valid_until": "2026-11-23T09:30:00.001Z"}, None),
    ],
)
def test_a_batch_accepts_scans_only_unrevoked_and_inside_its_window(batch, expected):
    assert batch_rejection(batch, NOW) == expected


def test_claims_spread_over_every_pending_shard():
    shards = {pending_shard(f"K7Q2M3XD-{serial}") for serial in range(1, 200)}
    assert shards == set(range(PENDING_SHARDS))


def test_an_export_range_is_clipped_to_the_batch():
    wanted = export_range(1_000_000, 990_001, MAX_EXPORT_ROWS, whole_batch_allowed=False)
    assert (wanted.first, wanted.last, wanted.rows) == (990_001, 1_000_000, 10_000)
    assert export_range(10, None, None, whole_batch_allowed=False).rows == 10


@pytest.mark.parametrize(("start", "count"), [(0, 10), (11, 1), (1, 0), (1, MAX_EXPORT_ROWS + 1)])
def test_an_export_range_outside_the_batch_or_too_large_is_refused(start, count):
    with pytest.raises(ValidationFailedError):
        export_range(10, start, count, whole_batch_allowed=True)


def test_a_whole_large_batch_streams_only_where_answers_are_unbounded():
    assert export_range(1_000_000, None, None, whole_batch_allowed=True).rows == 1_000_000
    with pytest.raises(ValidationFailedError) as caught:
        export_range(1_000_000, None, None, whole_batch_allowed=False)
    assert caught.value.extensions == {"max_count": MAX_EXPORT_ROWS}
