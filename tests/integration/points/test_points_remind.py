# The expected text uses Chinese full-width punctuation on purpose.
# ruff: noqa: RUF001
"""Expiry reminders end to end under moto: the 10:00 schedule plans reminder pieces of the expiry
index, the expiry worker puts one reminder per account and expiry date, the stream publisher turns it
into `PointsExpiringSoon` on the bus, and the notify worker puts the note in the inbox."""

from __future__ import annotations

import json
from typing import Any

from earnloop.identity.notifications_store import InboxStore
from earnloop.local.samples import load
from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.points.rules import expiry_shard

from tests.integration.points.expiry_harness import earn, spend, take, work
from tests.integration.points.test_points_expire import ShortOfTime
from tests.support.lambdas import drain, invoke, pump_stream, sqs_event

ALICE, BOB, CAROL = "alice", "bob", "carol"


def plan_reminders(when: str) -> dict[str, Any]:
    """The reminder schedule's run due at `when` (UTC)."""
    event = {**load("scheduled/points_remind_plan.json"), "time": f"{when}:00Z"}
    return invoke("points_remind_plan", event)  # type: ignore[no-any-return]


def reminders() -> dict[tuple[str, str], int]:
    """(user, expiry date) -> points of every reminder item stored (a tiny fresh moto table)."""
    items = aws.dynamodb().scan(
        TableName=get_settings().table_name("points"),
        FilterExpression="entity = :e",
        ExpressionAttributeValues={":e": {"S": "ExpiryReminder"}},
    )["Items"]
    return {(i["user_id"]["S"], i["expires_on"]["S"]): int(i["points"]["N"]) for i in items}


def notes(user: str) -> list[tuple[str, str]]:
    inbox = InboxStore(aws.dynamodb(), get_settings().table_name("identity"))
    return [(note.kind, note.text) for note in inbox.page(user, 20, None)[0]]


def test_each_account_is_reminded_once_of_what_will_expire_and_the_inbox_tells_it(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    earn(ALICE, 100, "2025-12-10T04:00")  # valid through 2026-12-31
    earn(ALICE, 40, "2026-01-10T04:00")  # valid through 2027-01-31: outside the window
    spend(ALICE, 30, "2026-12-01T04:00")  # taken from the bucket due: 70 will expire
    earn(BOB, 70, "2026-01-10T04:00")  # valid through 2027-01-31: not due yet
    earn(CAROL, 20, "2025-12-20T04:00")  # valid through 2026-12-31
    spend(CAROL, 20, "2026-12-02T04:00")  # nothing left to expire: no reminder

    # 10:00 on 2026-12-28 in Shanghai: the window is 12-28..12-30, nothing due.
    assert plan_reminders("2026-12-28T02:00") == {"pieces": 3 * moto_cloud.settings.expiry_shards}
    work(queue)
    assert reminders() == {}

    # 2026-12-29: the 31st is within 3 days. The run is planned twice (a retried schedule): each
    # piece arrives twice, and the reruns of the next two days find the reminder already there.
    plan_reminders("2026-12-29T02:00")
    plan_reminders("2026-12-29T02:00")
    work(queue)
    plan_reminders("2026-12-30T02:00")
    plan_reminders("2026-12-31T02:00")
    work(queue)
    assert reminders() == {(ALICE, "2026-12-31"): 70}

    pump_stream(moto_cloud.streams["points"])
    delivered = [e for e in drain(moto_cloud.queues["notify"].main) if e["source"] == "earnloop.points"]
    assert [(e["detail-type"], e["detail"]["user_id"], e["detail"]["points"]) for e in delivered] == [
        ("PointsExpiringSoon", ALICE, 70)
    ]
    event = sqs_event("sqs/notify_inbox.json", *delivered)
    assert invoke("notify_inbox", event) == {"batchItemFailures": []}
    # The event arrives again (at-least-once): still one note.
    assert invoke("notify_inbox", event) == {"batchItemFailures": []}
    assert notes(ALICE) == [("points_expiring", "您有 70 积分将于 2026年12月31日 过期，请尽快使用。")]
    assert notes(BOB) == [] and notes(CAROL) == []


def test_a_reminder_piece_and_an_expiry_piece_share_the_queue_and_a_malformed_one_fails_alone(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    earn(ALICE, 10, "2025-12-10T04:00")
    plan_reminders("2026-12-31T02:00")
    pieces = take(queue)
    assert all(piece["kind"] == "remind" for piece in pieces)
    mine = next(
        p
        for p in pieces
        if p["due"] == "2026-12-31" and p["shard"] == expiry_shard(ALICE, get_settings().expiry_shards)
    )
    bad = {**mine, "until": "soon"}
    answer = invoke("points_expire", sqs_event("sqs/points_expire.json", bad, mine))
    assert len(answer["batchItemFailures"]) == 1
    assert reminders() == {(ALICE, "2026-12-31"): 10}


def test_a_reminder_piece_short_of_time_resumes_in_a_new_message_and_reminds_each_account_once(
    moto_cloud, monkeypatch
):
    queue = moto_cloud.queues["expiry"].main
    # One shard: every account in the same piece.
    monkeypatch.setenv("EARNLOOP_EXPIRY_SHARDS", "1")
    get_settings.cache_clear()
    users = [f"user-{n:02}" for n in range(7)]
    for user in users:
        earn(user, 5, "2025-12-10T04:00")
    plan_reminders("2026-12-30T02:00")
    [piece] = [p for p in take(queue) if p["due"] == "2026-12-31"]
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(piece))

    # 3 accounts per invocation, then the rest of the piece goes out as a new message.
    assert work(queue, lambda: ShortOfTime("points_expire", timeout_s=120)) == 3
    assert reminders() == {(user, "2026-12-31"): 5 for user in users}
    # The first message redelivered: nobody is reminded twice (one stream INSERT per reminder).
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(piece))
    work(queue)
    pump_stream(moto_cloud.streams["points"])
    told = [e["detail"]["user_id"] for e in drain(moto_cloud.queues["notify"].main)]
    assert sorted(told) == users
