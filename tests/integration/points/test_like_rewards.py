"""Points for likes and comments through the points worker and the minute pay-out: the liker earns
`like_given` at once, the author `like_received` once per closed minute; each once per (post,
liker) whatever the redeliveries and unlike/like cycles; self-likes and self-comments earn nothing;
caps hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from earnloop.platform import aws
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.dynamo import marshal
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import forget_cached_rules
from earnloop.points.like_pay import like_received_txn_id, pay
from earnloop.points.like_pay_store import LikePayStore, minute_of
from earnloop.points.rule_store import rule_key
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.support.lambdas import invoke, sqs_event

SAMPLE = "sqs/points_earn.json"


def envelope(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"{detail_type}-{len(str(detail))}",
        "detail-type": detail_type,
        "source": "earnloop.content",
        "account": "123456789012",
        "time": "2026-12-02T01:00:00Z",
        "region": "ap-east-1",
        "resources": [],
        "detail": {**detail, "event_id": "e", "occurred_at": iso(utcnow())},
    }


def liked(post: str, liker: str, author: str = "alice") -> dict[str, Any]:
    detail = {"post_id": post, "user_id": liker, "post_author_id": author, "liked_at": iso(utcnow())}
    return envelope("PostLiked", detail)


def commented(comment: str, commenter: str, author: str = "alice", post: str = "P1") -> dict[str, Any]:
    detail = {"post_id": post, "comment_id": comment, "author_id": commenter, "post_author_id": author}
    return envelope("CommentAdded", detail)


def set_rule(name: str, points: int, daily_cap: int) -> None:
    """An admin's change of a rule, as stored; earners see it at their next read."""
    item = {**rule_key(name), "entity": "EarningRule", "name": name, "points": points}
    item |= {"daily_cap": daily_cap, "enabled": True, "version": 1}
    aws.dynamodb().put_item(TableName=get_settings().table_name("points"), Item=marshal(item))
    forget_cached_rules()


def deliver(*bodies: dict[str, Any]) -> None:
    assert invoke("points_earn", sqs_event(SAMPLE, *bodies)) == {"batchItemFailures": []}


def pay_out(at: datetime | None = None) -> dict[str, int]:
    """The minute pay-out as of a moment when every minute so far is closed."""
    return pay(LikePayStore.default(), Ledger.default(), at or utcnow() + timedelta(minutes=3))


def entries(user: str) -> dict[str, Any]:
    store = PointsStore.default()
    found = {e.txn_id: e for e in store.entries(user)}
    account = store.account(user)
    assert account.balance == sum(account.buckets.values()) == sum(e.delta for e in found.values())
    return found


def test_a_like_pays_the_liker_at_once_and_the_author_once_its_minute_closes(moto_cloud) -> None:
    like = liked("P1", "bob")

    deliver(like, like)
    deliver(like)

    assert {t: e.delta for t, e in entries("bob").items()} == {"like_given#P1#bob": 1}
    assert entries("alice") == {}
    minute = minute_of(utcnow())
    # Not while its minute is open.
    pay_out(utcnow())
    assert entries("alice") == {}

    assert pay_out()["authors"] == 1
    paid = entries("alice")
    assert [(e.txn_id, e.delta, e.reference) for e in paid.values()] == [
        (like_received_txn_id("alice", minute), 2, minute)
    ]
    # A later run pays nothing again.
    assert pay_out()["authors"] == 0
    assert sum(e.delta for e in entries("alice").values()) == 2


def test_unlike_like_cycles_and_self_likes_pay_nothing_more(moto_cloud) -> None:
    deliver(liked("P1", "bob"))
    # Bob unlikes and likes again, twice: each like is a new event with a new time.
    deliver(liked("P1", "bob"), liked("P1", "bob"))
    deliver(liked("P1", "alice"))

    pay_out()

    assert sum(e.delta for e in entries("bob").values()) == 1
    assert sum(e.delta for e in entries("alice").values()) == 2
    # A like again in a later minute (after an unlike) is not owed again: the guard holds.
    later = utcnow() + timedelta(minutes=10)
    assert LikePayStore.default().record("alice", "P1", "bob", later) is False
    assert LikePayStore.default().record("alice", "P1", "carol", later) is True


def test_a_crowd_of_likers_is_one_entry_for_the_author_cut_to_the_daily_cap(moto_cloud) -> None:
    set_rule("like_received", points=3, daily_cap=10)
    # Six likers of one author's posts in one minute: 18 points, the cap is 10.
    deliver(*[liked(f"P{i % 2}", f"fan-{i}") for i in range(6)])

    pay_out()

    paid = entries("alice")
    assert len(paid) <= 2  # one entry per minute the likes were seen in (usually one)
    assert sum(e.delta for e in paid.values()) == 10
    assert all(sum(e.delta for e in entries(f"fan-{i}").values()) == 1 for i in range(6))

    # More likes later the same day: the cap is used up, nothing more.
    deliver(liked("P9", "late"))
    pay_out(utcnow() + timedelta(minutes=4))
    assert sum(e.delta for e in entries("alice").values()) == 10


def test_a_liker_earns_at_most_the_like_given_cap(moto_cloud) -> None:
    set_rule("like_given", points=2, daily_cap=5)
    deliver(*[liked(f"P{i}", "bob", author=f"author-{i}") for i in range(4)])

    # 2 + 2, then a third of 2 would pass 5: dropped, as every earn over a cap.
    assert sum(e.delta for e in entries("bob").values()) == 4


def test_a_comment_earns_once_within_the_cap_and_not_on_ones_own_post(moto_cloud) -> None:
    deliver(commented("C1", "bob"), commented("C1", "bob"))
    deliver(commented("C1", "bob"), commented("C2", "alice"))

    assert {t: e.delta for t, e in entries("bob").items()} == {"comment#C1": 2}
    assert entries("alice") == {}

    set_rule("comment", points=2, daily_cap=4)
    deliver(*[commented(f"D{i}", "carol") for i in range(3)])
    assert sum(e.delta for e in entries("carol").values()) == 4
