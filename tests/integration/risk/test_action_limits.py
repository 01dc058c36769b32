"""Risk limits of likes and shares through their Lambda functions (API Gateway's source IP and the
`X-Device-Id` header), on one moto cloud for the module: a sliding hour per user, device id and
client IP; every attempt costs a unit (an unlike, a repeat, a like of a missing post); an attempt
over a limit is 429 with `Retry-After` and writes nothing; the counters live in the command's own
table with a TTL. Comments and redemptions, which share the gate (risk/attempts.py), are driven by
the attacker's script in tests/security/test_api6_sensitive_business_flows.py. Each test has users,
devices and IPs of its own and sets the limits it needs small."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.content.likes_store import count_key, like_key, shard_of
from earnloop.local.samples import http_event
from earnloop.platform import aws
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE
from earnloop.risk.windows import SlidingWindow

from tests.conftest import MotoCloud, provisioned_moto
from tests.support.lambdas import HttpAnswer, all_items, assert_problem, http_answer, invoke, stored

if TYPE_CHECKING:
    from collections.abc import Iterator

MISSING_POST = "01JDZZZZZZZZZZZZZZZZZZZZZZ"
HOUR = 3600
SESSIONS: dict[str, str] = {}


@pytest.fixture(scope="module")
def cloud() -> Iterator[MotoCloud]:
    with provisioned_moto() as made:
        yield made
    SESSIONS.clear()


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
    # One session per user, as a client keeps it (minting a token per call was most of the time).
    token = SESSIONS.get(user) or SESSIONS.setdefault(user, cloud.token(user))
    request = http_event(f"apigw/{name}.json", token=token, headers=sent, **event)
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


@pytest.fixture(scope="module")
def post_id(cloud: MotoCloud) -> str:
    """One published post the module's likers like (each test has users of its own)."""
    return post(cloud, "lk-author")


def test_likes_unlikes_repeats_and_refused_likes_all_use_up_the_users_hourly_limit(
    cloud, limits, post_id
) -> None:
    limits(likes_per_hour=4)
    ip = "198.51.100.1"

    answers = [
        like(cloud, "lk-fan", post_id, ip).json,
        like(cloud, "lk-fan", post_id, ip).json,  # a repeat changes nothing, still an attempt
        like(cloud, "lk-fan", MISSING_POST, ip).status,  # refused (404), still an attempt
        send(cloud, "posts_unlike", "lk-fan", ip=ip, path_parameters={"post_id": post_id}).json,
    ]
    over = like(cloud, "lk-fan", post_id, ip)

    liked, unliked = {"liked": True, "like_count": 1}, {"liked": False, "like_count": 0}
    assert answers == [liked, liked, 404, unliked]
    assert_limited(over, "user")
    # Nothing of the refused like was written: the like item is as the unlike left it, no count moved.
    content = cloud.settings.table_name("content")
    assert stored(content, like_key(post_id, "lk-fan"))["liked"] is False
    assert stored(content, count_key(post_id, shard_of("lk-fan")))["like_count"] == 0
    item = counter(cloud, "content", "like", "user#lk-fan")
    assert attempts(item) == 4
    # The TTL attribute: gone once no sliding hour can count it (at most 70 minutes on).
    now = datetime.now(UTC).timestamp()
    assert now + HOUR < item["expires_at"] <= now + HOUR + 2 * SlidingWindow().bucket_s
    # Another user of the same IP is not limited by the fan's allowance.
    assert like(cloud, "lk-friend", post_id, ip).status == 200


def test_the_window_slides_an_attempt_is_allowed_once_the_oldest_bucket_has_left(
    cloud, limits, post_id, monkeypatch, tmp_path
) -> None:
    limits(likes_per_hour=2)
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


def test_a_device_and_an_ip_are_limited_apart_from_their_users(cloud, limits, post_id) -> None:
    limits(likes_per_hour_per_device=2, likes_per_hour_per_ip=2)
    device = "dev-like-farm-01"

    assert like(cloud, "dv-a", post_id, "198.51.100.4", device).status == 200
    assert like(cloud, "dv-b", post_id, "198.51.100.5", device).status == 200
    assert_limited(like(cloud, "dv-c", post_id, "198.51.100.6", device), "device")
    assert counter(cloud, "content", "like", f"device#{device}")["kind"] == "device"

    # Two users on two devices behind one address use up its allowance; a third is refused.
    for n in range(2):
        assert like(cloud, f"ip-{n}", post_id, "203.0.113.77", f"dev-nat-user-{n}").status == 200
    assert_limited(like(cloud, "ip-2", post_id, "203.0.113.77", "dev-nat-user-2"), "ip")
    assert attempts(counter(cloud, "content", "like", "ip#203.0.113.77")) == 2
    # The same user from another address is fine.
    assert like(cloud, "ip-2", post_id, "203.0.113.78", "dev-nat-user-2").status == 200


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


def test_an_accepted_like_is_counted_inside_its_one_transaction_a_repeat_by_its_own_writes(
    cloud, post_id
) -> None:
    fan, ip, device = "ow-fan", "198.51.100.9", "dev-one-write-01"
    cloud.register(fan)
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    def writes() -> list[str]:
        return [c for c in calls if c in {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}]

    events = aws.dynamodb().meta.events
    events.register("before-call.dynamodb", record)
    try:
        assert like(cloud, fan, post_id, ip, device).status == 200
        accepted = writes()
        calls.clear()
        assert like(cloud, fan, post_id, ip, device).status == 200
        repeated = writes()
    finally:
        events.unregister("before-call.dynamodb", record)

    # One write for the like, its count and its three counters; no Scan or Query to judge them.
    assert accepted == ["TransactWriteItems"]
    # The repeat's two transactions write nothing (the like item is as asked); its three counters
    # are then charged by their own conditional updates.
    assert repeated == ["TransactWriteItems", "TransactWriteItems", "UpdateItem", "UpdateItem", "UpdateItem"]
    for subject in (f"user#{fan}", f"device#{device}", f"ip#{ip}"):
        assert attempts(counter(cloud, "content", "like", subject)) == 2
