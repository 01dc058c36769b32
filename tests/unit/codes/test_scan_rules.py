"""Pure rules: batch validity, export ranges, pending shards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from earnloop.codes.rules import (
    MAX_EXPORT_ROWS,
    PENDING_SHARDS,
    batch_rejection,
    export_range,
    pending_shard,
)
from earnloop.platform.errors import ValidationFailedError

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


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
