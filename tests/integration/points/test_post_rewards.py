"""Points for posting through the points worker: earned once per post within the daily cap, clawed
back on a takedown, with a debt for what was already spent that later earns repay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.post_rewards import POST_DAILY_CAP, POST_POINTS
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import invoke, sqs_event

SAMPLE = "sqs/points_earn.json"


def event(detail_type: str, post_id: str, author: str = "alice", published_at: str | None = None) -> dict:
    detail: dict[str, Any] = {"post_id": post_id, "author_id": author, "event_id": f"{detail_type}-{post_id}"}
    if detail_type == "PostPublished":
        detail |= {
            "topics": [],
            "text": "x",
            "media": [],
            "created_at": "2026-12-02T01:00:00.000Z",
            "published_at": published_at or datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
    return {
        "version": "0",
        "id": f"{detail_type}-{post_id}",
        "detail-type": detail_type,
        "source": "earnloop.content",
        "account": "123456789012",
        "time": "2026-12-02T01:00:00Z",
        "region": "ap-east-1",
        "resources": [],
        "detail": detail,
    }


def deliver(*bodies: dict) -> None:
    assert invoke("points_earn", sqs_event(SAMPLE, *bodies)) == {"batchItemFailures": []}


def ledger_of(user: str) -> tuple[Any, dict[str, Any]]:
    store = PointsStore.default()
    account = store.account(user)
    entries = {e.txn_id: e for e in store.entries(user)}
    # The ledger's invariants hold whatever happened.
    assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in entries.values())
    assert account.balance >= 0
    assert account.debt == sum(e.debt_delta or 0 for e in entries.values())
    return account, entries


def test_a_published_post_earns_the_post_rule_once_however_often_it_is_delivered(moto_cloud) -> None:
    published = event("PostPublished", "P1")

    deliver(published, published)
    deliver(published)

    account, entries = ledger_of("alice")
    assert account.balance == POST_POINTS
    assert entries["post#P1"].reference == "P1" and entries["post#P1"].reason == "post"


def test_posting_earns_at_most_the_daily_cap(moto_cloud) -> None:
    posts = [event("PostPublished", f"P{i}") for i in range(POST_DAILY_CAP // POST_POINTS + 1)]

    deliver(*posts)

    account, entries = ledger_of("alice")
    assert account.balance == POST_DAILY_CAP
    assert len([t for t in entries if t.startswith("post#")]) == POST_DAILY_CAP // POST_POINTS


def test_a_takedown_claws_back_what_the_post_earned(moto_cloud) -> None:
    deliver(event("PostPublished", "P1"))

    deliver(event("PostTakenDown", "P1"), event("PostTakenDown", "P1"))

    account, entries = ledger_of("alice")
    assert (account.balance, account.debt) == (0, 0)
    clawback = entries["clawback#P1"]
    assert (clawback.entry_type, clawback.delta, clawback.debt_delta) == ("adjust", -POST_POINTS, None)


def test_points_already_spent_become_a_debt_that_later_earns_repay(moto_cloud) -> None:
    deliver(event("PostPublished", "P1"))
    Ledger.default().spend(
        SpendCommand(txn_id="redeem#k1", user_id="alice", points=8, reason="mall", actor="alice"),
        datetime.now(UTC),
    )

    deliver(event("PostTakenDown", "P1"))

    account, entries = ledger_of("alice")
    assert (account.balance, account.debt) == (0, 8)
    assert (entries["clawback#P1"].delta, entries["clawback#P1"].debt_delta) == (-2, 8)

    deliver(event("PostPublished", "P2"))

    account, entries = ledger_of("alice")
    assert (account.balance, account.debt) == (POST_POINTS - 8, 0)
    assert (entries["post#P2"].delta, entries["post#P2"].debt_delta) == (POST_POINTS - 8, -8)
    assert account.lifetime_earned == 2 * POST_POINTS


def test_a_takedown_handled_before_the_earn_means_no_points_at_all(moto_cloud) -> None:
    deliver(event("PostTakenDown", "P1"))
    deliver(event("PostPublished", "P1"))

    account, entries = ledger_of("alice")
    assert account.balance == 0
    assert "post#P1" not in entries and entries["clawback#P1"].delta == 0


def test_a_post_earns_when_published_and_gives_back_when_an_admin_takes_it_down(moto_cloud) -> None:
    posts = Posts(moto_cloud)
    post_id = posts.create("alice", text="a clean caption").json["post_id"]

    posts.run_points_worker()
    assert ledger_of("alice")[0].balance == POST_POINTS

    taken = posts.on_post("admin_posts_reject", "admin-1", post_id, "admin", body={"reason": "spam"})
    assert taken.status == 200, taken.body
    posts.run_points_worker()

    account, entries = ledger_of("alice")
    assert account.balance == 0 and entries[f"clawback#{post_id}"].delta == -POST_POINTS


def test_a_post_earn_held_while_frozen_is_dropped_by_its_takedown(moto_cloud) -> None:
    ledger, now = Ledger.default(), datetime.now(UTC)
    ledger.credit(
        EarnCommand(txn_id="scan#c1", user_id="alice", points=5, reason="scan"), now
    )  # the account exists
    ledger.freeze("alice", "review", "admin-1", now)
    deliver(event("PostPublished", "P1"))
    assert [h.command.txn_id for h in PointsStore.default().holds("alice")] == ["post#P1"]

    deliver(event("PostTakenDown", "P1"))
    ledger.unfreeze("alice", "ok", "admin-1", now)
    ledger.release_holds("alice", now)

    account, entries = ledger_of("alice")
    assert account.balance == 5 and "post#P1" not in entries
    assert PointsStore.default().holds("alice") == []
