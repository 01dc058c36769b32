"""The daily points expiry end to end under moto: the schedule plans pieces of the expiry index,
the worker expires the accounts due, once, whatever is rerun, resumed or redelivered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from earnloop.local.lambdas import LocalLambdaContext
from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.points.expiry_job import LOOKBACK_DAYS
from earnloop.points.rules import expiry_shard
from earnloop.points.store import PointsStore

from tests.integration.points.expiry_harness import PIECE_SAMPLE, earn, plan, run, spend, take, work
from tests.support.lambdas import drain, invoke, pump_stream, sqs_event

ALICE, BOB = "alice", "bob"


def ledger_of(user: str):
    store = PointsStore.default()
    account = store.account(user)
    entries = {e.txn_id: e for e in store.entries(user)}
    # The ledger's invariants hold whatever happened.
    assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries.values())
    return account, entries


def expiries(user: str) -> dict[str, int]:
    return {t: e.delta for t, e in ledger_of(user)[1].items() if e.entry_type == "expire"}


def test_points_valid_through_new_years_eve_expire_at_0010_on_new_years_day_in_shanghai(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    # Earned 2025-12-10 (Shanghai) -> valid through 2026-12-31; earned 2026-01-01 00:30 Shanghai
    # (still 2025-12-31 in UTC) -> valid through 2027-01-31.
    earn(ALICE, 100, "2025-12-10T04:00")
    earn(ALICE, 40, "2025-12-31T16:30")
    earn(BOB, 70, "2025-12-31T15:30")  # 23:30 on 2025-12-31 in Shanghai: valid through 2026-12-31

    # 23:59 on 2026-12-31 in Shanghai: still valid.
    assert plan("2026-12-31T15:59") == {"pieces": LOOKBACK_DAYS * moto_cloud.settings.expiry_shards}
    work(queue)
    assert expiries(ALICE) == {} and expiries(BOB) == {}

    run(queue, "2026-12-31T16:10")

    alice, _ = ledger_of(ALICE)
    assert expiries(ALICE) == {"expire#alice#2027-01-01": -100}
    assert alice.balance == 40 and alice.buckets == {date(2027, 1, 31): 40}
    assert alice.next_expiry == date(2027, 1, 31)
    assert expiries(BOB) == {"expire#bob#2027-01-01": -70}
    assert ledger_of(BOB)[0].next_expiry is None


def test_the_end_of_february_expires_on_the_first_of_march_and_not_before(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    earn(ALICE, 30, "2026-02-14T02:00")  # valid through 2027-02-28

    run(queue, "2027-02-27T16:10")  # 2027-02-28 00:10 in Shanghai: its last valid day
    assert expiries(ALICE) == {}
    run(queue, "2027-02-28T16:10")  # 2027-03-01 00:10

    assert expiries(ALICE) == {"expire#alice#2027-03-01": -30}
    assert ledger_of(ALICE)[0].balance == 0


def test_a_partial_spend_before_the_expiry_leaves_only_the_rest_of_the_bucket_to_expire(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    earn(ALICE, 100, "2025-11-05T02:00")  # valid through 2026-11-30
    earn(ALICE, 50, "2026-03-05T02:00")  # valid through 2027-03-31
    spend(ALICE, 120, "2026-11-20T02:00")  # 100 from the earlier bucket, 20 from the later

    run(queue, "2026-11-30T16:10")

    account, _ = ledger_of(ALICE)
    assert expiries(ALICE) == {}  # the spend emptied the bucket due: nothing left to expire
    assert account.balance == 30 and account.buckets == {date(2027, 3, 31): 30}

    earn(BOB, 100, "2025-11-05T02:00")
    spend(BOB, 30, "2026-11-20T02:00")
    run(queue, "2026-11-30T16:10")
    assert expiries(BOB) == {"expire#bob#2026-12-01": -70}
    assert ledger_of(BOB)[0].balance == 0


def test_a_rerun_a_redelivered_piece_and_a_late_run_expire_nothing_twice(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    for user in (ALICE, BOB):
        earn(user, 10, "2025-12-10T04:00")
    plan("2026-12-31T16:10")
    pieces = take(queue)
    # Each piece delivered twice (SQS is at least once), and the whole run again, and the next day's.
    sqs = aws.client("sqs")
    for piece in pieces + pieces:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(piece))
    work(queue)
    run(queue, "2026-12-31T16:10")
    run(queue, "2027-01-01T16:10")

    for user in (ALICE, BOB):
        assert expiries(user) == {f"expire#{user}#2027-01-01": -10}
        assert ledger_of(user)[0].balance == 0


def test_a_missed_run_is_caught_up_by_the_next_one(moto_cloud):
    queue = moto_cloud.queues["expiry"].main
    earn(ALICE, 10, "2025-12-10T04:00")  # valid through 2026-12-31

    run(queue, "2027-01-03T16:10")  # the runs of Jan 1 to 3 never happened

    assert expiries(ALICE) == {"expire#alice#2027-01-04": -10}


def test_the_expiry_entry_reaches_the_bus_as_points_changed(moto_cloud):
    # A queue subscribed to what the stream publisher puts on the bus for expiry entries.
    sqs, bus = aws.client("sqs"), aws.client("events")
    watch = sqs.create_queue(QueueName="watch-expiries")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=watch, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["earnloop.points"],
        "detail-type": ["PointsChanged"],
        "detail": {"entry_type": ["expire"]},
    }
    bus.put_rule(
        Name="watch-expiries", EventBusName=moto_cloud.settings.event_bus, EventPattern=json.dumps(pattern)
    )
    bus.put_targets(
        Rule="watch-expiries", EventBusName=moto_cloud.settings.event_bus, Targets=[{"Id": "w", "Arn": arn}]
    )
    earn(ALICE, 25, "2025-12-10T04:00")

    run(moto_cloud.queues["expiry"].main, "2026-12-31T16:10")
    pump_stream(moto_cloud.streams["points"])

    [event] = drain(watch)
    detail = event["detail"]
    assert (detail["user_id"], detail["txn_id"], detail["delta"]) == (ALICE, "expire#alice#2027-01-01", -25)
    assert (detail["entry_type"], detail["reason"], detail["balance_after"]) == ("expire", "expired", 0)


@dataclass
class ShortOfTime(LocalLambdaContext):
    """A Lambda context whose time runs short after `plenty` looks at the clock."""

    plenty: int = 2

    def get_remaining_time_in_millis(self) -> int:
        self.plenty -= 1
        return 60_000 if self.plenty >= 0 else 1_000


def test_a_piece_short_of_time_hands_its_rest_to_a_new_message_and_expires_each_account_once(
    moto_cloud, monkeypatch
):
    queue = moto_cloud.queues["expiry"].main
    # One shard: every account in the same piece.
    monkeypatch.setenv("EARNLOOP_EXPIRY_SHARDS", "1")
    get_settings.cache_clear()
    users = [f"user-{n:02}" for n in range(7)]
    for user in users:
        earn(user, 5, "2025-12-10T04:00")
    plan("2026-12-31T16:10")
    [piece] = [p for p in take(queue) if p["due"] == "2026-12-31"]
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(piece))

    # Each invocation does 3 accounts (one before the first look at the clock, two with plenty
    # left), then sends the rest of the piece as a new message.
    assert work(queue, lambda: ShortOfTime("points_expire", timeout_s=120)) == 3

    for user in users:
        assert expiries(user) == {f"expire#{user}#2027-01-01": -5}
    # Resuming an old cursor again (a redelivered first message) expires nothing twice.
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(piece))
    work(queue)
    assert sum(len(expiries(user)) for user in users) == len(users)


def test_a_malformed_piece_fails_alone_so_that_sqs_retries_it_then_parks_it_in_the_dlq(moto_cloud):
    earn(ALICE, 10, "2025-12-10T04:00")
    good = {
        "due": "2026-12-31",
        "shard": expiry_shard(ALICE, moto_cloud.settings.expiry_shards),
        "on": "2027-01-01",
    }
    event = sqs_event(PIECE_SAMPLE, {"due": "yesterday", "shard": 0, "on": "2027-01-01"}, good)

    answer = invoke("points_expire", event)

    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert expiries(ALICE) == {"expire#alice#2027-01-01": -10}
