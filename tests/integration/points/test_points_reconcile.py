"""The nightly reconciliation under moto, as AWS runs it: the 02:30 schedule's event to
`points_reconcile_plan`, then each piece of the `reconcile` queue to `points_reconcile`. A planted
mismatch (a bucket written behind the ledger's back) is caught: an ERROR line with the sums, the
`LedgerMismatch` metric, a `RECON#<day>` record; nothing is corrected. A clean day reports nothing.
The job's calls grow with the accounts changed that day, not with every account."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal
from earnloop.points.models import Account, LedgerEntry
from earnloop.points.reconcile import check, plan_pieces, reconcile_account, reconcile_piece
from earnloop.points.reconcile_store import ReconcileStore
from earnloop.points.rules import expiry_shard
from earnloop.points.store import CHANGE_SHARDS, account_key, change_partition

from tests.integration.points.expiry_harness import at, earn, spend, take
from tests.support.lambdas import invoke, sqs_event, stored

DAY = date(2026, 12, 1)
RUN = "2026-12-01T18:30"  # 02:30 on 2026-12-02 in Shanghai: checks the changes of 2026-12-01


def run_job(moto_cloud: Any) -> int:
    """Plans the run at RUN and works every piece; returns the pieces worked."""
    plan = invoke("points_reconcile_plan", {"detail-type": "Scheduled Event", "time": f"{RUN}:00Z"})
    assert plan == {"pieces": CHANGE_SHARDS}
    worked = 0
    while pieces := take(moto_cloud.queues["reconcile"].main):
        for piece in pieces:
            answer = invoke("points_reconcile", sqs_event("sqs/points_reconcile.json", piece))
            assert answer == {"batchItemFailures": []}
            worked += 1
    return worked


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def metric_total(documents: list[dict[str, Any]], name: str) -> int:
    # EMF: a metric added twice in one invocation is a list of values.
    values = [d[name] for d in documents if "_aws" in d and name in d]
    return sum(sum(v) if isinstance(v, list) else int(v) for v in values)


def test_a_planted_bucket_is_caught_reported_and_left_as_it_is(moto_cloud, capsys, caplog) -> None:
    earn("u-ok", 30, "2026-12-01T04:00")
    earn("u-bad", 20, "2026-12-01T05:00")
    spend("u-bad", 5, "2026-12-01T06:00")
    table = moto_cloud.settings.table_name("points")
    # Someone writes a bucket behind the ledger's back (an operator's hand edit, a bug).
    aws.dynamodb().update_item(
        TableName=table,
        Key=marshal(account_key("u-bad")),
        UpdateExpression="ADD #b :five",
        ExpressionAttributeNames={"#b": "bkt#2027-12-31"},
        ExpressionAttributeValues=marshal({":five": 5}),
    )
    planted = stored(table, account_key("u-bad"))
    capsys.readouterr()

    assert run_job(moto_cloud) == CHANGE_SHARDS
    documents = printed(capsys)

    errors = [r for r in caplog.records if r.getMessage() == "ledger mismatch"]
    assert len(errors) == 1 and errors[0].levelname == "ERROR"
    assert {
        k: getattr(errors[0], k) for k in ("user_id", "day", "balance", "buckets_sum", "entries_sum")
    } == {
        "user_id": "u-bad",
        "day": "2026-12-01",
        "balance": 15,
        "buckets_sum": 20,
        "entries_sum": 15,
    }
    assert metric_total(documents, "LedgerMismatch") == 1
    assert metric_total(documents, "AccountsReconciled") == 2
    records = ReconcileStore(aws.dynamodb(), table).mismatches(DAY)
    assert [(r["user_id"], r["balance"], r["buckets_sum"], r["entries_sum"]) for r in records] == [
        ("u-bad", 15, 20, 15)
    ]
    # Nothing is corrected.
    assert stored(table, account_key("u-bad")) == planted


def test_a_clean_day_reports_nothing(moto_cloud, capsys, caplog) -> None:
    earn("u1", 30, "2026-12-01T04:00")
    spend("u1", 10, "2026-12-01T07:00")
    earn("u2", 5, "2026-11-30T04:00")  # changed the day before: not this run's work
    capsys.readouterr()

    run_job(moto_cloud)
    documents = printed(capsys)

    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
    assert metric_total(documents, "LedgerMismatch") == 0
    assert metric_total(documents, "AccountsReconciled") == 1
    table = moto_cloud.settings.table_name("points")
    assert ReconcileStore(aws.dynamodb(), table).mismatches(DAY) == []
    # A malformed piece fails alone (SQS retries it, then the DLQ keeps it).
    batch = sqs_event("sqs/points_reconcile.json", {"day": "2026-12-01", "shard": 0}, {"day": "yesterday"})
    failed = invoke("points_reconcile", batch)["batchItemFailures"]
    assert failed == [{"itemIdentifier": batch["Records"][1]["messageId"]}]


def put_accounts(ddb: Any, table: str, users: list[str], changed_on: date, *, entries: bool = True) -> None:
    """Sound accounts of 10 points (with their one earn entry unless `entries` is False: an idle
    account's ledger is never read), last changed on `changed_on`, written as plain items: a ledger
    transaction per account would cost moto a copy of the whole table."""
    items = []
    for user in users:
        account = {
            **account_key(user),
            "entity": "Account",
            "user_id": user,
            "balance": 10,
            "lifetime_earned": 10,
            "status": "active",
            "version": 1,
            "bkt#2027-12-31": 10,
            "chg_pk": change_partition(changed_on, expiry_shard(user, CHANGE_SHARDS)),
            "chg_sk": user,
        }
        earned = {**entry(10).model_dump(), "user_id": user, "pk": f"ACCT#{user}", "sk": "TXN#t10"}
        items += [{"PutRequest": {"Item": marshal(account)}}]
        if entries:
            items += [{"PutRequest": {"Item": marshal(earned)}}]
    for start in range(0, len(items), 25):
        assert not ddb.batch_write_item(RequestItems={table: items[start : start + 25]}).get(
            "UnprocessedItems"
        )


@pytest.mark.parametrize("idle", [10, 1_000])
def test_the_job_reads_only_the_accounts_changed_that_day(moto_cloud, idle) -> None:
    ddb = aws.dynamodb()
    table = moto_cloud.settings.table_name("points")
    put_accounts(ddb, table, [f"idle-{n:05}" for n in range(idle)], date(2026, 11, 1), entries=False)
    put_accounts(ddb, table, [f"changed-{n}" for n in range(10)], DAY)
    store = ReconcileStore(ddb, table)
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    ddb.meta.events.register("before-call.dynamodb", count)
    try:
        pieces = plan_pieces(at(RUN), CHANGE_SHARDS)
        results = [reconcile_piece(p, store, at(RUN), lambda: 60_000) for p in pieces]
    finally:
        ddb.meta.events.unregister("before-call.dynamodb", count)

    assert sum(r.checked for r in results) == 10 and sum(r.mismatches for r in results) == 0
    # One index query per shard, one partition query per changed account; nothing for idle ones.
    assert calls == {"Query": CHANGE_SHARDS + 10}


def entry(delta: int, debt_delta: int | None = None) -> LedgerEntry:
    return LedgerEntry(
        txn_id=f"t{delta}",
        user_id="u",
        entry_type="adjust",
        delta=delta,
        balance_after=0,
        reason="test",
        actor="test",
        created_at="2026-12-01T00:00:00.000Z",
        debt_delta=debt_delta,
    )


def test_check_names_each_broken_invariant() -> None:
    buckets = {date(2027, 12, 31): 10}
    sound = Account(user_id="u", balance=10, buckets=buckets, version=2, debt=3)
    assert check(sound, [entry(12, -2), entry(-2, 5)], DAY) is None
    # Debt that no entry recorded.
    assert check(sound, [entry(12), entry(-2)], DAY) is not None
    # A negative balance with matching sums is still wrong.
    negative = Account(user_id="u", balance=-5, buckets={date(2027, 12, 31): -5}, version=2)
    assert check(negative, [entry(-5)], DAY) is not None


class FakeLedgers:
    """Reads that return the given (account, entries) in turn, and the index pages of one shard."""

    def __init__(
        self, reads: list[tuple[Account, list[LedgerEntry]]], users: list[str] | None = None
    ) -> None:
        self.reads = reads
        self.users = users or []
        self.recorded: list[Any] = []

    def ledger(self, user_id: str) -> tuple[Account, list[LedgerEntry]]:
        return self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]

    def changed_page(self, day: date, shard: int, *, after: str | None = None, limit: int = 100) -> Any:
        rest = [u for u in self.users if after is None or u > after]
        return rest[:limit], len(rest) > limit

    def record(self, mismatch: Any, expires_at: int) -> None:
        self.recorded.append(mismatch)


def test_a_mismatch_seen_while_a_posting_commits_is_read_again_and_not_reported() -> None:
    buckets = {date(2027, 12, 31): 10}
    torn = Account(user_id="u", balance=10, buckets=buckets, version=3)  # the entry not yet visible
    settled = Account(user_id="u", balance=10, buckets=buckets, version=4)
    store = FakeLedgers([(torn, []), (settled, [entry(10)])])

    assert reconcile_account(store, "u", DAY) is None  # type: ignore[arg-type]


def test_a_mismatch_read_twice_at_the_same_version_is_reported() -> None:
    broken = Account(user_id="u", balance=10, buckets={date(2027, 12, 31): 15}, version=3)
    store = FakeLedgers([(broken, [entry(10)])])

    found = reconcile_account(store, "u", DAY)  # type: ignore[arg-type]
    assert found is not None and (found.buckets_sum, found.entries_sum, found.version) == (15, 10, 3)


def test_a_piece_short_of_time_resumes_after_the_last_account_checked() -> None:
    sound = Account(user_id="u", balance=10, buckets={date(2027, 12, 31): 10}, version=1)
    store = FakeLedgers([(sound, [entry(10)])], users=["a", "b", "c"])
    piece = plan_pieces(at(RUN), CHANGE_SHARDS)[0]

    first = reconcile_piece(piece, store, at(RUN), lambda: 5_000)  # type: ignore[arg-type]
    assert (first.checked, first.rest) == (1, piece.model_copy(update={"after": "a"}))
    assert first.rest is not None
    second = reconcile_piece(first.rest, store, at(RUN), lambda: 60_000)  # type: ignore[arg-type]
    assert (second.checked, second.rest) == (2, None)
