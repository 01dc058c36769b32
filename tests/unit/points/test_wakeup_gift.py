"""The wake-up gift's command: once per sleep, short-lived, only for a user who fell asleep."""

from __future__ import annotations

from datetime import date

from earnloop.points.wakeup_gift import SegmentChanged, gift_command


def event(
    to: str = "sleeping",
    changed_at: str = "2027-03-01T19:00:00.000Z",
    first_scan_at: str | None = "2026-12-01T03:00:00Z",
) -> SegmentChanged:
    return SegmentChanged(user_id="u1", to_segment=to, changed_at=changed_at, first_scan_at=first_scan_at)


def test_a_user_who_falls_asleep_gets_points_valid_for_the_gift_days():
    command = gift_command(event(), points=100, valid_days=14)
    assert command is not None
    # 19:00 UTC on 03-01 is 03:00 on 03-02 in Shanghai: valid 03-02 through 03-15 (14 days).
    assert command.txn_id == "wakeup#u1#2027-03-02"
    assert command.expires_on == date(2027, 3, 15)
    assert (command.points, command.cap, command.tiered) == (100, None, False)


def test_other_segment_changes_a_user_who_never_scanned_and_a_gift_set_to_zero_give_nothing():
    assert gift_command(event(to="at_risk"), points=100, valid_days=14) is None
    assert gift_command(event(first_scan_at=None), points=100, valid_days=14) is None
    assert gift_command(event(), points=0, valid_days=14) is None


def test_each_sleep_has_its_own_gift_id():
    first = gift_command(event(changed_at="2027-03-01T19:00:00Z"), points=100, valid_days=14)
    again = gift_command(event(changed_at="2027-03-01T20:00:00Z"), points=100, valid_days=14)
    later = gift_command(event(changed_at="2027-09-01T19:00:00Z"), points=100, valid_days=14)
    assert first is not None and again is not None and later is not None
    assert first.txn_id == again.txn_id != later.txn_id
