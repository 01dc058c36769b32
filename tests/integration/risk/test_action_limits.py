"""Risk limits of likes, comments, shares and redemptions, through their Lambda functions on one
moto cloud for the module: a sliding hour per user, device id and client IP; rejected attempts
(a missing post, too few points) cost a unit; an attempt over a limit is 429 with `Retry-After` and
writes nothing; the counters live in the command's own table with a TTL. Each test has its own
users, devices and IPs, and sets the limits it needs small."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.content.likes_store import count_key, like_key, shard_of
from earnloop.content.posts_store import stats_key
from earnloop.local.samples import http_event
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE
from earnloop.platform.settings import get_settings
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore
from earnloop.risk.windows import SlidingWindow

from tests.conftest import MotoCloud, provisioned_moto
from tests.support.lambdas import HttpAnswer, all_items, assert_problem, http_answer, invoke, stored

if TYPE_CHECKING:
    from collections.abc import Iterator

MISSING_POST = "01JDZZZZZZZZZZZZZZZZZZZZZZ"
HOUR = 3600


@pytest.fixture(scope="module")
def cloud() -> Iterator[MotoCloud]:
    with provisioned_moto() as made:
        yield made


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets `EARNLOOP_<NAME>` limits for one test (settings read again)."""

    def tighten(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"EARNLOOP_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield tighten
    monkeypatch.undo()
    get_settings.cache_clear()


def send(
    cloud: MotoCloud,
    name: str,
    user: str,
    *,
    ip: str,
    device: str | None = None,
    headers: dict[str, str] | None = None,
    **event: Any,
) -> HttpAnswer:
    """`name`'s sample event as `user` from client `ip` (and `device` when given)."""
    sent = {**(headers or {}), **({"X-Device-Id": device} if device else {})}
    request = http_event(f"apigw/{name}.json", token=cloud.token(user), headers=sent, **event)
    request["requestContext"]["http"]["sourceIp"] = ip
    return http_answer(invoke(name, request))


def post(cloud: MotoCloud, author: str) -> str:
    answer = send(
        cloud,
        "posts_create",
        author,
        ip="192.0.2.250",
        body={"text": "my bowl", "media_ids": [], "topics": []},
    )
    assert answer.status == 201, answer.body
    return str(answer.json["post_id"])


def like(cloud: MotoCloud, user: str, post_id: str, ip: str, device: str | None = None) -> HttpAnswer:
    return send(cloud, "posts_like", user, ip=ip, device=device, path_parameters={"post_id": post_id})


def counter(cloud: MotoCloud, table: str, action: str, subject: str) -> dict[str, Any]:
    item = stored(cloud.settings.table_name(table), {"pk": f"RISK#{action}#{subject}", "sk": "RISK"})
    assert item is not None, f"no counter for {action} {subject}"
    return item


def attempts(item: dict[str, Any]) -> int:
    return sum(int(v) for k, v in item.items() if k[:1] == "b" and k[1:].isdigit())


def assert_limited(answer: HttpAnswer, subject: str) -> None:
    problem = assert_problem(answer, 429, "rate_limited")
    assert subject in problem["detail"]
    # At most the window and the bucket the sliding hour may overlap.
    assert 1 <= int(answer.headers["retry-after"]) <= HOUR + SlidingWindow().bucket_s


def test_likes_and_unlikes_share_the_users_hourly_limit_and_refused_likes_count(cloud, limits) -> None:
    limits(likes_per_hour=4)
    first, second = post(cloud, "lk-author"), post(cloud, "lk-author")
    ip = "198.51.100.1"

    answers = [
        like(cloud, "lk-fan", first, ip).status,
        send(cloud, "posts_unlike", "lk-fan", ip=ip, path_parameters={"post_id": first}).status,
        like(cloud, "lk-fan", MISSING_POST, ip).status,  # refused (404), still an attempt
        like(cloud, "lk-fan", first, ip).status,
    ]
    over = like(cloud, "lk-fan", second, ip)

    assert answers == [200, 200, 404, 200]
    assert_limited(over, "user")
    # Nothing of the refused like was written: no like item, no count on its shard.
    content = cloud.settings.table_name("content")
    assert stored(content, like_key(second, "lk-fan")) is None
    assert stored(content, count_key(second, shard_of("lk-fan"))) is None
    item = counter(cloud, "content", "like", "user#lk-fan")
    assert attempts(item) == 4
    # The TTL attribute: gone once no sliding hour can count it (at most 70 minutes on).
    now = datetime.now(UTC).timestamp()
    assert now + HOUR < item["expires_at"] <= now + HOUR + 2 * SlidingWindow().bucket_s
    # Another user of the same IP is not limited by the fan's allowance.
    assert like(cloud, "lk-friend", second, ip).status == 200


def test_a_repeated_like_costs_a_unit_though_it_changes_nothing(cloud, limits) -> None:
    limits(likes_per_hour=2)
    post_id = post(cloud, "rp-author")

    assert like(cloud, "rp-fan", post_id, "198.51.100.2").json == {"liked": True, "like_count": 1}
    assert like(cloud, "rp-fan", post_id, "198.51.100.2").json == {"liked": True, "like_count": 1}
    assert_limited(like(cloud, "rp-fan", post_id, "198.51.100.2"), "user")


def test_the_window_slides_an_attempt_is_allowed_once_the_oldest_bucket_has_left(
    cloud, limits, monkeypatch, tmp_path
) -> None:
    limits(likes_per_hour=2)
    post_id = post(cloud, "sl-author")
    clock = tmp_path / "clock.json"
    monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(clock))

    def at(offset_s: float) -> None:
        clock.write_text(json.dumps({"offset_s": offset_s}))

    at(0)
    assert like(cloud, "sl-fan", post_id, "198.51.100.3").status == 200
    at(30 * 60)
    assert (
        send(cloud, "posts_unlike", "sl-fan", ip="198.51.100.3", path_parameters={"post_id": post_id}).status
        == 200
    )
    at(45 * 60)
    refused = like(cloud, "sl-fan", post_id, "198.51.100.3")
    assert_limited(refused, "user")
    # The first attempt leaves the window within the hour and a bucket after it was made.
    at(65 * 60 + 1)
    again = like(cloud, "sl-fan", post_id, "198.51.100.3")
    assert again.status == 200 and again.json["liked"] is True
    at(70 * 60)
    assert_limited(like(cloud, "sl-fan", post_id, "198.51.100.3"), "user")


def test_a_device_and_an_ip_are_limited_apart_from_their_users(cloud, limits) -> None:
    limits(likes_per_hour_per_device=2, likes_per_hour_per_ip=3)
    post_id = post(cloud, "dv-author")
    device = "dev-like-farm-01"

    assert like(cloud, "dv-a", post_id, "198.51.100.4", device).status == 200
    assert like(cloud, "dv-b", post_id, "198.51.100.5", device).status == 200
    assert_limited(like(cloud, "dv-c", post_id, "198.51.100.6", device), "device")
    assert counter(cloud, "content", "like", f"device#{device}")["kind"] == "device"

    # Three users on three devices behind one address use up its allowance; a fourth is refused.
    for n in range(3):
        assert like(cloud, f"ip-{n}", post_id, "203.0.113.77", f"dev-nat-user-{n}").status == 200
    assert_limited(like(cloud, "ip-3", post_id, "203.0.113.77", "dev-nat-user-3"), "ip")
    assert attempts(counter(cloud, "content", "like", "ip#203.0.113.77")) == 3
    # The same user from another address is fine.
    assert like(cloud, "ip-3", post_id, "203.0.113.78", "dev-nat-user-3").status == 200


def comment(cloud: MotoCloud, user: str, post_id: str, ip: str) -> HttpAnswer:
    return send(
        cloud, "comments_create", user, ip=ip, path_parameters={"post_id": post_id}, body={"text": "yum"}
    )


def test_comments_are_limited_refused_ones_count_and_a_limited_one_writes_nothing(cloud, limits) -> None:
    limits(comments_per_hour=3)
    post_id = post(cloud, "cm-author")
    ip = "198.51.100.10"

    answers = [comment(cloud, "cm-fan", p, ip).status for p in (post_id, MISSING_POST, post_id)]
    over = comment(cloud, "cm-fan", post_id, ip)

    assert answers == [201, 404, 201]
    assert_limited(over, "user")
    stats = stored(cloud.settings.table_name("content"), stats_key(post_id))
    assert stats is not None and stats["comment_count"] == 2
    assert attempts(counter(cloud, "content", "comment", "user#cm-fan")) == 3


def test_shares_are_limited_and_a_limited_one_writes_nothing(cloud, limits) -> None:
    limits(shares_per_hour=2)
    body = {"target_type": "post", "target_id": "01JDAAAAAAAAAAAAAAAAAAAAAA"}

    answers = [send(cloud, "shares_create", "sh-fan", ip="198.51.100.20", body=body) for _ in range(3)]

    assert [a.status for a in answers[:2]] == [201, 201]
    assert_limited(answers[2], "user")
    shares = [i for i in all_items(cloud.settings.table_name("sharing")) if i.get("sharer_id") == "sh-fan"]
    assert len(shares) == 2
    item = counter(cloud, "sharing", "share", "user#sh-fan")
    assert attempts(item) == 2 and "expires_at" in item


def test_redemptions_count_refusals_and_a_limited_one_takes_no_points_stock_or_order(cloud, limits) -> None:
    limits(redemptions_per_hour=3)
    admin = cloud.token("rd-admin", "admin")
    reward = {"name": "Trial pack", "kind": "virtual", "points": 100, "stock": 5}
    made = http_answer(
        invoke("rewards_create", http_event("apigw/rewards_create.json", token=admin, body=reward))
    )
    assert made.status == 201, made.body
    reward_id = made.json["reward_id"]
    buyer = "rd-buyer"
    cloud.register(buyer)
    earn = EarnCommand(txn_id=f"scan#{buyer}#1", user_id=buyer, points=250, reason="scan")
    Ledger(PointsStore.default()).earn(earn, datetime(2026, 11, 20, 2, tzinfo=UTC))

    def redeem(key: str, quantity: int = 1) -> HttpAnswer:
        body = {"reward_id": reward_id, "quantity": quantity}
        return send(
            cloud,
            "redemptions_create",
            buyer,
            ip="198.51.100.30",
            body=body,
            headers={"Idempotency-Key": key},
        )

    poor = redeem("key-rd-0001", quantity=3)  # 300 points: too few, still an attempt
    placed = redeem("key-rd-0002")
    replay = redeem("key-rd-0002")  # its replay is an attempt too
    over = redeem("key-rd-0003")

    assert_problem(poor, 409, "insufficient_points")
    assert (placed.status, replay.status) == (201, 200)
    assert_limited(over, "user")
    balance = http_answer(invoke("points_get", http_event("apigw/points_get.json", token=cloud.token(buyer))))
    assert balance.json["balance"] == 150
    mall = all_items(cloud.settings.table_name("mall"))
    assert [i["order_id"] for i in mall if i.get("entity") == "Order"] == [placed.json["order_id"]]
    assert attempts(counter(cloud, "mall", "redeem", "user#rd-buyer")) == 3
    ledger = [i for i in all_items(cloud.settings.table_name("points")) if str(i["sk"]).startswith("TXN#")]
    assert sorted(str(i["sk"]) for i in ledger if i.get("user_id") == buyer) == [
        "TXN#redeem#key-rd-0002",
        f"TXN#scan#{buyer}#1",
    ]
