"""The stats worker and `GET /v1/admin/stats` under moto: counts per business day, once per event,
rejections by reason, outstanding, and the range limit."""

from __future__ import annotations

import json

from earnloop.local.samples import load
from earnloop.stats.rules import STATS_SHARDS

from tests.integration.stats.stats_harness import SAMPLE, bus_event, deliver, dynamodb_calls, points_changed
from tests.support.lambdas import assert_problem, call_http, invoke

ADMIN = "boss"


def stats(moto_cloud, first: str, last: str):
    answer = call_http(
        "admin_stats_get", token=moto_cloud.token(ADMIN, "admin"), query={"from": first, "to": last}
    )
    assert answer.status == 200, answer.body
    return {row["date"]: row for row in answer.json["days"]}


def emitted(out: str, name: str) -> int:
    """The sum of a metric over the EMF documents the functions printed (what CloudWatch gets)."""
    documents = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    return int(sum(sum(d[name]) if isinstance(d[name], list) else d[name] for d in documents if name in d))


def test_every_kind_of_event_lands_in_its_counter_by_business_day(moto_cloud, capsys):
    user = "u1"
    capsys.readouterr()
    deliver(
        # 23:30 UTC on the 22nd is the 23rd in Shanghai.
        points_changed("scan#a", user, "earn", 100, "2026-11-22T23:30:00.000Z"),
        points_changed("redeem#k", user, "spend", -40, "2026-11-23T02:00:00.000Z"),
        points_changed("refund#k", user, "refund", 10, "2026-11-23T03:00:00.000Z"),
        points_changed(f"expire#{user}#2026-11-24", user, "expire", -20, "2026-11-23T16:10:00.000Z"),
        points_changed("clawback#p", user, "adjust", -5, "2026-11-24T01:00:00.000Z"),
        points_changed("freeze#x", user, "freeze", 0, "2026-11-24T01:00:00.000Z"),
        bus_event(
            "ScanClaimed",
            "earnloop.codes",
            scan_id="B-1",
            user_id=user,
            claimed_at="2026-11-23T01:00:00.000Z",
        ),
        bus_event(
            "ScanClaimed",
            "earnloop.codes",
            scan_id="B-1",
            user_id=user,
            claimed_at="2026-11-23T01:00:00.000Z",
        ),
        bus_event(
            "PostPublished",
            "earnloop.content",
            post_id="p1",
            author_id=user,
            published_at="2026-11-23T04:00:00.000Z",
        ),
        # Published again after a review: still one post.
        bus_event(
            "PostPublished",
            "earnloop.content",
            post_id="p1",
            author_id=user,
            published_at="2026-11-24T04:00:00.000Z",
        ),
        bus_event(
            "PostLiked",
            "earnloop.content",
            post_id="p1",
            user_id="u2",
            post_author_id=user,
            liked_at="2026-11-23T05:00:00.000Z",
        ),
        bus_event(
            "PostLiked",
            "earnloop.content",
            post_id="p1",
            user_id="u2",
            post_author_id=user,
            liked_at="2026-11-23T06:00:00.000Z",
        ),
        bus_event(
            "ScanRejectionsCounted", "earnloop.codes", day="2026-11-23", reason="forged", shard=3, count=2
        ),
        bus_event(
            "ScanRejectionsCounted", "earnloop.codes", day="2026-11-23", reason="forged", shard=40, count=5
        ),
        # Late and out of order: a lower count of the same shard changes nothing.
        bus_event(
            "ScanRejectionsCounted", "earnloop.codes", day="2026-11-23", reason="forged", shard=3, count=1
        ),
        bus_event(
            "ScanRejectionsCounted",
            "earnloop.codes",
            day="2026-11-23",
            reason="already_claimed",
            shard=3,
            count=1,
        ),
    )

    # The sample earn (on the 23rd in Shanghai), delivered twice, counts once.
    assert invoke("stats_count", load(SAMPLE)) == {"batchItemFailures": []}
    assert invoke("stats_count", load(SAMPLE)) == {"batchItemFailures": []}

    # The metrics carry what was counted, once: the redelivered sample's 50 points only once.
    out = capsys.readouterr().out
    assert (emitted(out, "StatsPointsIssued"), emitted(out, "StatsPointsSpent")) == (150, 40)
    assert (
        emitted(out, "StatsScansAccepted"),
        emitted(out, "StatsPostsPublished"),
        emitted(out, "StatsLikes"),
    ) == (1, 1, 2)

    moto_cloud.token(ADMIN, "admin")
    with dynamodb_calls(moto_cloud.settings.table_name("stats")) as calls:
        days = stats(moto_cloud, "2026-11-22", "2026-11-25")
    assert calls == ["Query"] * STATS_SHARDS  # one per counter shard, days and total together
    assert days["2026-11-22"]["points_outstanding"] == 0
    first = days["2026-11-23"]
    assert {k: first[k] for k in ("points_issued", "points_spent", "points_refunded", "points_expired")} == {
        "points_issued": 150,
        "points_spent": 40,
        "points_refunded": 10,
        "points_expired": 0,
    }
    assert (first["points_outstanding"], first["consumption_rate"]) == (120, 0.2)
    assert (first["scans_accepted"], first["posts"], first["likes"]) == (1, 1, 2)
    assert first["scans_rejected"] == {"already_claimed": 1, "forged": 7}
    second = days["2026-11-24"]
    # The expiry job runs at 00:10 Shanghai: 16:10 UTC the day before.
    assert (second["points_expired"], second["points_adjusted"], second["points_outstanding"]) == (20, -5, 95)
    assert second["posts"] == 0
    assert second["consumption_rate"] is None
    assert days["2026-11-25"]["points_outstanding"] == 95


def test_a_range_beyond_92_days_or_reversed_is_422_and_admins_only(moto_cloud):
    token = moto_cloud.token(ADMIN, "admin")
    too_long = call_http("admin_stats_get", token=token, query={"from": "2026-01-01", "to": "2026-04-03"})
    assert_problem(too_long, 422, "validation_error")
    reversed_range = call_http(
        "admin_stats_get", token=token, query={"from": "2026-02-02", "to": "2026-02-01"}
    )
    assert_problem(reversed_range, 422, "validation_error")
    assert_problem(
        call_http("admin_stats_get", token=token, query={"from": "yesterday"}), 422, "validation_error"
    )
    assert len(stats(moto_cloud, "2026-01-01", "2026-04-01")) == 91
    not_admin = call_http("admin_stats_get", token=moto_cloud.token("u1"), query={"from": "2026-01-01"})
    assert_problem(not_admin, 403, "forbidden")
