"""The sliding-window arithmetic of the risk limits: what counts, when a refused caller may retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from earnloop.risk.client import subjects
from earnloop.risk.farming import flagged_accounts
from earnloop.risk.windows import SlidingWindow, Subject, allowance, retry_after, used

WINDOW = SlidingWindow(length_s=3600, buckets=12)
NOW = datetime(2026, 12, 2, 11, 0, 1, tzinfo=UTC)


def test_an_attempt_counts_the_current_bucket_and_a_full_hour_of_closed_ones():
    current = WINDOW.bucket(NOW)
    counts = {current: 1, current - 12: 2, current - 13: 50}
    # 10:00:00-10:05:00 is still counted at 11:00:01 (one bucket of over-count, never under-count);
    # 09:55-10:00 is not.
    assert used(counts, WINDOW, NOW) == 3
    assert WINDOW.bucket_s == 300 and list(WINDOW.closed(current)) == list(range(current - 12, current))


def test_the_allowance_is_the_limit_less_the_closed_buckets():
    current = WINDOW.bucket(NOW)
    before_the_hour = WINDOW.bucket(NOW - timedelta(seconds=16))  # 10:59:45
    each = allowance(Subject("user", "u1", 20), WINDOW, {before_the_hour: 18, current: 1}, NOW)
    assert (each.bucket, each.allowed) == (current, 2)


def test_a_clock_hour_boundary_gives_no_fresh_allowance():
    before = datetime(2026, 12, 2, 10, 59, 45, tzinfo=UTC)
    counts = {WINDOW.bucket(before): 20}
    assert used(counts, WINDOW, NOW) == 20
    assert allowance(Subject("user", "u1", 20), WINDOW, counts, NOW).allowed == 0


def test_retry_after_is_when_enough_old_buckets_have_left_the_window():
    current = WINDOW.bucket(NOW)  # 11:00-11:05
    # 3 in 10:20-10:25 and 2 in 10:40-10:45, limit 5: one more fits once 10:20's bucket has left,
    # i.e. from the bucket starting 11:25 (it counts 10:25 onward).
    counts = {current - 8: 3, current - 4: 2}
    assert retry_after(WINDOW, counts, 5, NOW) == 25 * 60 - 1
    # Full in the current bucket only: it leaves the window 13 buckets on.
    assert retry_after(WINDOW, {current: 5}, 5, NOW) == 13 * 300 - 1


def test_a_counter_expires_once_no_window_can_count_it():
    current = WINDOW.bucket(NOW)
    expires = WINDOW.expires_at(current)
    last_counting_attempt = datetime.fromtimestamp(expires - 1, UTC)
    assert used({current: 1}, WINDOW, last_counting_attempt) == 1
    assert used({current: 1}, WINDOW, datetime.fromtimestamp(expires, UTC)) == 0
    # The write removes the bucket names just older than any window, so an item stays small.
    assert list(WINDOW.stale(current)) == list(range(current - 25, current - 12))


def test_an_attempt_counts_against_the_user_and_the_device_and_ip_when_known():
    limits = {"per_user": 20, "per_device": 30, "per_ip": 300}
    assert [s.kind for s in subjects("u1", None, None, **limits)] == ["user"]
    found = subjects("u1", "dev-12345678", "203.0.113.10", **limits)
    assert [(s.kind, s.value, s.limit) for s in found] == [
        ("user", "u1", 20),
        ("device", "dev-12345678", 30),
        ("ip", "203.0.113.10", 300),
    ]


def test_a_device_set_flags_everyone_when_it_reaches_the_threshold_then_each_newcomer():
    assert flagged_accounts(set(), {"a", "b"}, 3) == []
    assert flagged_accounts({"a", "b"}, {"c", "a", "b"}, 3) == ["a", "b", "c"]
    assert flagged_accounts({"a", "b", "c"}, {"a", "b", "c", "d"}, 3) == ["d"]
    assert flagged_accounts({"a", "b", "c"}, {"a", "b", "c"}, 3) == []  # a rescan by one of them
