"""Lifecycle segments end to end under moto: activity events kept on the user, the daily move at the
day-7, day-30 and day-90 boundaries, `SegmentChanged` on the identity stream, and the wake-up gift
(once per sleep, short-lived)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from earnloop.platform.settings import get_settings
from earnloop.points.service import Ledger

from tests.integration.identity.checks import stored
from tests.integration.identity.segments_harness import (
    Clock,
    deliver,
    publish_identity_changes,
    register,
    run_job,
    scan,
    user,
)
from tests.support.lambdas import assert_problem, call_http

# 10:00 in Shanghai on 2026-12-01; runs are at 03:00 Shanghai (19:00 UTC the day before).
T0 = "2026-12-01T02:00:00.000Z"


@pytest.fixture
def clock(moto_cloud, monkeypatch, tmp_path):
    # One shard: the pieces of a run are the crossing dates alone (the cost test counts shards).
    monkeypatch.setenv("EARNLOOP_SEGMENT_SHARDS", "1")
    get_settings.cache_clear()
    clock = Clock(monkeypatch, tmp_path)
    clock.at("2026-12-01T02:00")
    yield clock
    get_settings.cache_clear()


def test_activity_is_kept_on_the_user_once_per_event_and_a_scan_ends_new(clock):
    register("u1", T0)
    assert (user("u1")["segment"], user("u1")["last_active_at"]) == ("new", T0)
    assert user("u1")["act_pk"] == "ACT#2026-12-01#0" and user("u1")["act_sk"] == "new#u1"

    clock.at("2026-12-03T02:00")
    like = {"post_id": "p1", "user_id": "u1", "post_author_id": "u2", "liked_at": "2026-12-03T02:00:00Z"}
    deliver("PostLiked", "earnloop.content", **like)
    liked = user("u1")
    assert (liked["segment"], liked["activity_count"], liked["act_pk"]) == ("new", 1, "ACT#2026-12-01#0")

    scan("u1", "C1", "2026-12-03T03:00:00.000Z", points=50)
    scanned = user("u1")
    assert scanned["segment"] == "active" and scanned["first_scan_at"] == "2026-12-03T03:00:00.000Z"
    assert (scanned["activity_count"], scanned["points_volume"]) == (2, 50)
    assert scanned["act_pk"] == "ACT#2026-12-03#0" and scanned["act_sk"] == "active#u1"
    assert scanned["rfm"] == {"r": 5, "f": 1, "m": 1}

    # Redeliveries of every event so far change nothing.
    scan("u1", "C1", "2026-12-03T03:00:00.000Z", points=50)
    deliver("PostLiked", "earnloop.content", **like)
    deliver("UserRegistered", "earnloop.identity", user_id="u1", created_at=T0)
    assert user("u1") == scanned

    # An activity of a user that does not exist writes nothing (no user, no guard).
    scan("ghost", "C2", "2026-12-03T03:00:00.000Z")
    assert stored("USER#ghost", "PROFILE") is None and stored("USER#ghost", "SEEN#act#scan#C2") is None


def test_admins_see_a_users_segment_rfm_tags_and_tier(moto_cloud, clock):
    register("u1", T0)
    scan("u1", "C1", "2026-12-01T03:00:00.000Z", points=500)
    clock.at("2026-12-20T02:00")  # 19 idle days: recency 3, still active until tomorrow's move
    admin = moto_cloud.token("boss", "admin")

    answer = call_http("admin_users_get", token=admin, path_parameters={"user_id": "u1"})
    assert answer.status == 200, answer.body
    # Became active at the scan's processing, a moment after 02:00 on the platform clock.
    assert answer.json.pop("segment_since").startswith("2026-12-01T02:00")
    assert answer.json == {
        "id": "u1",
        "nickname": None,
        "tier": "bronze",
        "tags": [],
        "segment": "active",
        "rfm": {"r": 3, "f": 1, "m": 3},
        "last_active_at": "2026-12-01T03:00:00.000Z",
    }
    not_admin = moto_cloud.token("u2")
    assert_problem(
        call_http("admin_users_get", token=not_admin, path_parameters={"user_id": "u1"}), 403, "forbidden"
    )
    assert_problem(
        call_http("admin_users_get", token=admin, path_parameters={"user_id": "nobody"}), 404, "not_found"
    )


def test_segments_move_at_their_boundaries_and_each_sleep_gives_one_short_lived_gift(moto_cloud, clock):
    queues = moto_cloud.queues
    register("idle", T0)  # never scans: new for 7 days
    register("scanner", T0)
    scan("scanner", "C1", "2026-12-01T03:00:00.000Z")

    run_job(queues, clock, "2026-12-06T19:00")  # 12-07 in Shanghai: day 6
    assert (user("idle")["segment"], user("scanner")["segment"]) == ("new", "active")
    run_job(queues, clock, "2026-12-07T19:00")  # 12-08: day 7
    assert user("idle")["segment"] == "active" and user("idle")["act_sk"] == "active#idle"

    run_job(queues, clock, "2026-12-29T19:00")  # 12-30: 29 idle days
    assert user("scanner")["segment"] == "active"
    run_job(queues, clock, "2026-12-31T19:00")  # 01-01: 31 days, the run of 12-31 was missed
    assert (user("idle")["segment"], user("scanner")["segment"]) == ("at_risk", "at_risk")
    assert user("scanner")["segment_since"].startswith("2026-12-31T19:00")

    run_job(queues, clock, "2027-02-27T19:00")  # 02-28: 89 days
    assert user("scanner")["segment"] == "at_risk"
    run_job(queues, clock, "2027-02-28T19:00")  # 03-01: 90 days
    run_job(queues, clock, "2027-02-28T19:30")  # a rerun moves nobody
    asleep = user("scanner")
    assert asleep["segment"] == "sleeping" and "act_pk" not in asleep
    assert asleep["rfm"] == {"r": 1, "f": 1, "m": 1}
    slept = publish_identity_changes(moto_cloud)
    assert sorted((e["detail"]["user_id"], e["detail"]["from_segment"]) for e in slept) == [
        ("idle", "at_risk"),
        ("scanner", "at_risk"),
    ]

    # Woken by a scan, asleep again 90 days later: a second gift; the first is not paid twice
    # although the stream is replayed from its start.
    clock.at("2027-03-05T02:00")
    scan("scanner", "C2", "2027-03-05T02:00:00.000Z")
    assert user("scanner")["segment"] == "active" and user("scanner")["act_pk"] == "ACT#2027-03-05#0"
    run_job(queues, clock, "2027-06-02T19:00")  # 06-03: 90 days after 03-05
    assert user("scanner")["segment"] == "sleeping"
    publish_identity_changes(moto_cloud)

    ledger = Ledger.default()
    gifts = [e for e in ledger.store.history("scanner", 20, None)[0] if e.txn_id.startswith("wakeup#")]
    assert sorted(e.txn_id for e in gifts) == ["wakeup#scanner#2027-03-01", "wakeup#scanner#2027-06-03"]
    assert ledger.store.account("idle").balance == 0  # never scanned: no customer to win back
    account = ledger.store.account("scanner")
    # 100 points valid 14 days each, counting the day of falling asleep.
    assert (account.balance, account.buckets) == (200, {date(2027, 3, 14): 100, date(2027, 6, 16): 100})

    # The first gift is still there on its last valid day and gone the day after.
    assert (
        ledger.expire("scanner", date(2027, 3, 14), datetime(2027, 3, 13, 16, 10, tzinfo=UTC)).entry is None
    )
    ledger.expire("scanner", date(2027, 3, 15), datetime(2027, 3, 14, 16, 10, tzinfo=UTC))
    assert ledger.store.account("scanner").balance == 100
