"""API6:2023 Unrestricted Access to Sensitive Business Flows: a script driving the API as fast as it
can earns no more than the rules allow. Scan farming hits the per-user scan limit (429); like
farming pays the liker within the `like_given` daily cap and a self-like pays nothing; referral
farming stops at the `referral` cap; redemption farming stops at the reward's per-user limit.
Likes (a like/unlike toggle storm), comments and redemptions are limited per user, device id and
IP over a sliding hour, refused attempts included: past it, 429 and nothing written.
Each flow runs through the real route and the real points worker (events delivered as the bus
would), with users of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earnloop.platform.clock import iso, utcnow
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import EarningRule, earning_rule, forget_cached_rules

from tests.security.attacker import Attacker, problem_code
from tests.support.lambdas import all_items, drain, invoke, pump_stream, sqs_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from httpx import Response


def balance(api: Attacker, user: str) -> int:
    return int(api.call("GET", "/v1/points", user).json()["balance"])


def run_points_worker(api: Attacker, *bodies: dict[str, Any]) -> None:
    if bodies:
        assert invoke("points_earn", sqs_event("sqs/points_earn.json", *bodies)) == {"batchItemFailures": []}


def delivered(api: Attacker, stream: str, detail_type: str) -> list[dict[str, Any]]:
    """What the `stream` table's changes put on the points queue, of one detail type."""
    pump_stream(api.cloud.streams[stream])
    return [b for b in drain(api.cloud.queues["points"].main) if b["detail-type"] == detail_type]


def tightened(api: Attacker, name: str, points: int, daily_cap: int) -> EarningRule:
    """The rule as an admin sets it through the API (a small cap keeps the farm short), as every
    container reads it once its cached copy is a minute old."""
    body = {"points": points, "daily_cap": daily_cap, "enabled": True}
    answer = api.call("PUT", f"/v1/admin/earning-rules/{name}", "u-api6-admin", "admin", json=body)
    assert answer.status_code == 200, answer.text
    forget_cached_rules()
    return earning_rule(name)


def test_scan_farming_is_stopped_by_the_per_user_limit(api: Attacker) -> None:
    farmer = "u-api6-scanner"
    limit = api.cloud.settings.scans_per_hour
    codes = api.codes(limit + 5, points=10)

    answers = [api.scan(farmer, code) for code in codes]

    statuses = [a.status_code for a in answers]
    assert statuses == [202] * limit + [429] * 5
    assert {problem_code(a) for a in answers[limit:]} == {"rate_limited"}
    assert all("retry-after" in a.headers for a in answers[limit:])
    # A refused code stays unclaimed: another user may still scan it.
    assert api.scan("u-api6-honest", codes[-1]).status_code == 202


def test_a_code_pays_once_however_often_it_is_replayed(api: Attacker) -> None:
    code = api.codes(1)[0]
    assert api.scan("u-api6-replayer", code).status_code == 202

    again = [api.scan(user, code) for user in ("u-api6-replayer", "u-api6-friend")]

    assert [a.status_code for a in again] == [409, 409]


def test_like_farming_pays_the_liker_within_the_daily_cap(api: Attacker) -> None:
    farmer = "u-api6-liker"
    rule = tightened(api, "like_given", points=2, daily_cap=6)
    assert rule.points and rule.daily_cap
    liked = rule.daily_cap // rule.points + 2
    posts = [api.post(f"u-api6-author-{n % 2}") for n in range(liked)]
    own = api.post(farmer)

    for post_id in [*posts, own]:
        assert api.call("PUT", f"/v1/posts/{post_id}/like", farmer).status_code == 200
        api.call("DELETE", f"/v1/posts/{post_id}/like", farmer)
        assert api.call("PUT", f"/v1/posts/{post_id}/like", farmer).status_code == 200
    likes = [b for b in delivered(api, "content", "PostLiked") if b["detail"]["user_id"] == farmer]
    assert len(likes) == 2 * (liked + 1)
    run_points_worker(api, *likes)
    run_points_worker(api, *likes)  # redelivered

    assert balance(api, farmer) == rule.daily_cap


def envelope(detail_type: str, source: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"{detail_type}-{detail['referee_id']}",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-12-02T01:00:00Z",
        "region": "ap-east-1",
        "resources": [],
        "detail": {**detail, "event_id": f"e-{detail['referee_id']}", "occurred_at": iso(utcnow())},
    }


def test_referral_farming_stops_at_the_referral_cap(api: Attacker) -> None:
    farmer = "u-api6-referrer"
    api.cloud.register(farmer)
    rule = tightened(api, "referral", points=50, daily_cap=150)
    assert rule.points and rule.daily_cap
    referees = [f"u-api6-sock-{n}" for n in range(rule.daily_cap // rule.points + 2)]
    accepted = [
        envelope(
            "ReferralAccepted",
            "earnloop.sharing",
            {"referrer_id": farmer, "referee_id": r, "share_id": "s-1", "accepted_at": iso(utcnow())},
        )
        for r in referees
    ]

    run_points_worker(api, *accepted)
    run_points_worker(api, *accepted[:3])  # a referee replayed pays nothing either

    assert balance(api, farmer) == rule.daily_cap


def test_redemption_farming_stops_at_the_per_user_limit(api: Attacker) -> None:
    farmer = "u-api6-buyer"
    api.fund(farmer, 1000)
    reward_id = api.reward(points=100, stock=50, per_user_limit=2)

    answers = [api.redeem(farmer, reward_id) for _ in range(5)]

    assert [a.status_code for a in answers] == [201, 201, 409, 409, 409]
    assert {problem_code(a) for a in answers[2:]} == {"limit_reached"}
    assert balance(api, farmer) == 800
    assert len(api.call("GET", "/v1/redemptions", farmer).json()["items"]) == 2
    over = api.redeem(farmer, api.reward(points=100, per_user_limit=1), quantity=2)
    assert over.status_code == 409 and balance(api, farmer) == 800


def test_scripted_referral_farming_freezes_the_farmer_and_is_refused_past_the_sliding_day(
    api: Attacker, limits: Callable[..., None]
) -> None:
    """A farmer's link "registers" sock puppets within a minute: the burst rule (5 in 10 minutes)
    freezes the farmer (their earns are held, nothing can be spent), and referrals past the sliding
    day's limit (6 here) are refused `rate_limited` and pay nothing."""
    limits(referrals_per_day=6)
    farmer, settings = "u-api6-ref-farmer", get_settings()
    tightened(api, "referral", points=10, daily_cap=1000)  # the ledger's cap is not what stops it
    share = api.call("POST", "/v1/shares", farmer, json={"target_type": "post", "target_id": "P-api6"})
    assert share.status_code == 201, share.text
    token = share.json()["referral_token"]
    socks = [f"u-api6-ref-sock-{n}" for n in range(settings.referrals_per_day + 2)]
    registrations = [
        {
            **envelope("UserRegistered", "earnloop.identity", {"referee_id": sock}),
            "detail": {"user_id": sock, "created_at": iso(utcnow()), "referral_token": token},
        }
        for sock in socks
    ]
    assert invoke("shares_settle", sqs_event("sqs/shares_settle.json", *registrations)) == {
        "batchItemFailures": []
    }

    pump_stream(api.cloud.streams["sharing"])
    to_points = [b for b in drain(api.cloud.queues["points"].main) if farmer in str(b["detail"])]
    run_points_worker(api, *to_points)

    kinds = [b["detail-type"] for b in to_points]
    assert kinds.count("ReferralAccepted") == settings.referrals_per_day
    assert "RiskFlagged" in kinds
    points = api.call("GET", "/v1/points", farmer).json()
    assert points["status"] == "frozen"
    # Ten referrals and the share's one payment, most of it held: nothing of it can be spent.
    assert (
        points["balance"] + points["pending"]
        == 10 * settings.referrals_per_day + earning_rule("share").points
    )
    assert kinds.count("RiskFlagged") == 1  # one flag a burst, not one a referral
    assert api.redeem(farmer, api.reward(points=10)).status_code == 423


def refused(answers: list[Response]) -> bool:
    return all(
        a.status_code == 429 and problem_code(a) == "rate_limited" and int(a.headers["retry-after"]) >= 1
        for a in answers
    )


def test_a_like_toggle_storm_and_a_device_farm_are_stopped_by_the_like_limits(
    api: Attacker, limits: Callable[..., None]
) -> None:
    limits(likes_per_hour=6, likes_per_hour_per_device=4)
    farmer = "u-api6-toggler"
    post_id = api.post("u-api6-author-t")

    token = api.cloud.token(farmer)  # one session, as a script keeps it
    storm = [
        api.call("PUT" if n % 2 == 0 else "DELETE", f"/v1/posts/{post_id}/like", token=token)
        for n in range(8)
    ]

    assert [a.status_code for a in storm[:6]] == [200] * 6 and refused(storm[6:])
    # The sixth call (an unlike) is the last that changed anything.
    seen = api.call("GET", f"/v1/posts/{post_id}", token=token).json()
    assert (seen["liked_by_me"], seen["like_count"]) == (False, 0)
    # Sock puppets behind one device id: its limit stops them, whoever they are.
    device = {"X-Device-Id": "dev-api6-like-farm"}
    socks = [
        api.call("PUT", f"/v1/posts/{post_id}/like", f"u-api6-like-sock-{n}", headers=device)
        for n in range(5)
    ]
    assert [a.status_code for a in socks[:4]] == [200] * 4 and refused(socks[4:])
    assert "device" in socks[4].json()["detail"]
    assert api.call("GET", f"/v1/posts/{post_id}", token=token).json()["like_count"] == 4
    # What can earn is what was stored: one like item per account that got through (a like again
    # after an unlike earns nothing new), none for the refused.
    likers = {i["user_id"] for i in content_items(api, "Like") if i["post_id"] == post_id}
    assert likers == {farmer, *(f"u-api6-like-sock-{n}" for n in range(4))}


def content_items(api: Attacker, entity: str) -> list[dict[str, Any]]:
    return [i for i in all_items(api.cloud.settings.table_name("content")) if i.get("entity") == entity]


def test_comment_farming_is_stopped_by_the_hourly_limit_refused_comments_included(
    api: Attacker, limits: Callable[..., None]
) -> None:
    limits(comments_per_hour=3)
    farmer = "u-api6-commenter"
    posts = [api.post("u-api6-author-c") for _ in range(2)]
    token = api.cloud.token(farmer)
    targets = [posts[0], "01JDZZZZZZZZZZZZZZZZZZZZZZ", posts[1], posts[0], posts[1]]

    answers = [
        api.call("POST", f"/v1/posts/{p}/comments", token=token, json={"text": "so good"}) for p in targets
    ]

    # A comment on a missing post is refused (404) and still uses up a unit of the allowance.
    assert [a.status_code for a in answers[:3]] == [201, 404, 201] and refused(answers[3:])
    listed = [api.call("GET", f"/v1/posts/{p}/comments", token=token).json()["items"] for p in posts]
    assert [len(items) for items in listed] == [1, 1]
    # Each stored comment carries its one earn's outbox marker; the refused ones left nothing to pay.
    mine = [c for c in content_items(api, "Comment") if c["author_id"] == farmer]
    assert len(mine) == 2 and all("due_pk" in c for c in mine)


def test_redemption_farming_is_stopped_by_the_hourly_limit_refusals_and_replays_included(
    api: Attacker, limits: Callable[..., None]
) -> None:
    limits(redemptions_per_hour=4)
    farmer = "u-api6-hoarder"
    api.fund(farmer, 1000)
    dear, cheap = api.reward(points=5000), api.reward(points=100, stock=50)

    token = api.cloud.token(farmer)

    def redeem(reward_id: str, key: str) -> Response:
        body = {"reward_id": reward_id, "quantity": 1}
        return api.call("POST", "/v1/redemptions", token=token, json=body, headers={"Idempotency-Key": key})

    keys = ["api6-key-01", "api6-key-02", "api6-key-02", "api6-key-03", "api6-key-04", "api6-key-05"]
    answers = [redeem(dear if n == 0 else cheap, key) for n, key in enumerate(keys)]

    # Too few points (409) and a replay of a key (200, its order again) cost a unit each too.
    assert [a.status_code for a in answers[:4]] == [409, 201, 200, 201] and refused(answers[4:])
    assert balance(api, farmer) == 800
    orders = api.call("GET", "/v1/redemptions", token=token).json()["items"]
    assert len(orders) == 2
    history = api.call("GET", "/v1/points/history", token=token).json()["items"]
    assert [e["type"] for e in history].count("spend") == 2
    assert api.call("GET", f"/v1/rewards/{cheap}", token=token).json()["stock_left"] == 48
