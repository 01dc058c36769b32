"""WeChat's risk rank wired end to end: asked at registration (scene 0, the client's IP) and at most
once a day at a later login, cached on the profile, derived as `RiskRankChanged`, copied onto the
points account by the points worker, and a risky user's earns pending (not spendable) until the
release schedule credits them. WeChat down never fails a login."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.identity.store import user_key
from earnloop.local.samples import load
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE, iso, parse_iso
from earnloop.platform.errors import InsufficientPointsError
from earnloop.platform.settings import get_settings
from earnloop.points.models import SpendCommand
from earnloop.points.service import Ledger
from earnloop.points.store import account_key, hold_key
from earnloop.wechat.risk_rank import RISK_RANK_PATH
from earnloop.wechat.token import forget_tokens

from tests.conftest import MotoCloud, provisioned_moto
from tests.fakes.wechat_server import FakeWeChat, Reply
from tests.support.lambdas import call_http, drain, invoke, pump_stream, sample_body, sqs_event, stored

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

EARN_SAMPLE = "sqs/points_earn.json"


@pytest.fixture(scope="module")
def cloud() -> Iterator[tuple[MotoCloud, FakeWeChat]]:
    # One cloud and one fake WeChat for the module: each test logs in users of its own.
    with provisioned_moto() as moto, pytest.MonkeyPatch.context() as env:
        secret = moto.secret_values["wechat"]
        with FakeWeChat(secret["app_id"], secret["app_secret"]) as wechat:
            env.setenv("EARNLOOP_WECHAT_API_BASE", wechat.base_url)
            env.setenv("EARNLOOP_WECHAT_TIMEOUT_S", "0.3")
            env.setenv("EARNLOOP_WECHAT_RETRIES", "1")
            env.setenv("EARNLOOP_RISK_RANK_PROVIDER", "wechat")
            get_settings.cache_clear()
            forget_tokens()
            yield moto, wechat
            forget_tokens()
    get_settings.cache_clear()


def login(code: str) -> dict[str, Any]:
    answer = call_http("auth_login", body={"code": code})
    assert answer.status == 200, answer.body
    return answer.json  # type: ignore[no-any-return]


def profile(moto: MotoCloud, user_id: str) -> dict[str, Any]:
    found = stored(moto.settings.table_name("identity"), user_key(user_id))
    assert found is not None
    return found


def deliver_ranks(moto: MotoCloud, user_id: str) -> list[dict[str, Any]]:
    """The identity stream published, and the points queue's RiskRankChanged of the user handed to
    the points worker twice (a redelivery)."""
    pump_stream(moto.streams["identity"])
    events = [
        e
        for e in drain(moto.queues["points"].main)
        if e["detail-type"] == "RiskRankChanged" and e["detail"]["user_id"] == user_id
    ]
    for _ in range(2 if events else 0):
        assert invoke("points_earn", sqs_event(EARN_SAMPLE, *events)) == {"batchItemFailures": []}
    return events


def scan_earn(user_id: str, code: str) -> None:
    body = sample_body(EARN_SAMPLE)
    body["detail"] = {**body["detail"], "user_id": user_id, "code": code, "scan_id": code}
    assert invoke("points_earn", sqs_event(EARN_SAMPLE, body)) == {"batchItemFailures": []}


def test_a_risky_new_user_earns_pending_points_released_by_the_schedule(cloud) -> None:
    moto, wechat = cloud
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "errmsg": "ok", "risk_rank": 4}))
    answer = login("ok:oRiskyLi:uRiskyLi")
    user_id, token = answer["user"]["id"], answer["token"]

    [asked] = [c for c in wechat.api_calls_to(RISK_RANK_PATH) if c["openid"] == "oRiskyLi"]
    assert (asked["scene"], asked["client_ip"]) == (0, "203.0.113.10")  # register, API Gateway's IP
    assert profile(moto, user_id)["risk_rank"] == 4
    [event] = deliver_ranks(moto, user_id)
    assert event["detail"]["risk_rank"] == 4
    account = stored(moto.settings.table_name("points"), account_key(user_id))
    assert account is not None and (account["risk_rank"], account["balance"]) == (4, 0)

    scan_earn(user_id, "RISKY.1.X")
    hold = stored(moto.settings.table_name("points"), hold_key(user_id, "scan#RISKY.1.X"))
    assert hold is not None
    held_at = parse_iso(hold["held_at"])
    assert parse_iso(hold["release_at"]) == held_at + timedelta(hours=72)
    points = call_http("points_get", token=token).json
    assert (points["balance"], points["pending"]) == (0, 50)
    assert points["pending_releases"] == [{"points": 50, "release_at": hold["release_at"]}]
    spend = SpendCommand(txn_id="order#risky", user_id=user_id, points=10, reason="redeem", actor=user_id)
    with pytest.raises(InsufficientPointsError):
        Ledger.default().spend(spend, held_at)

    release = load("scheduled/points_release_pending.json")
    assert invoke("points_release_pending", {**release, "time": iso(held_at + timedelta(hours=71))}) == {
        "points": 0
    }
    assert invoke("points_release_pending", {**release, "time": iso(held_at + timedelta(hours=73))}) == {
        "points": 50
    }
    points = call_http("points_get", token=token).json
    assert (points["balance"], points["pending"]) == (50, 0)


def test_a_normal_user_earns_spendable_points_at_once(cloud) -> None:
    moto, wechat = cloud
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "errmsg": "ok", "risk_rank": 0}))
    answer = login("ok:oCalmWang:uCalmWang")
    user_id = answer["user"]["id"]
    assert profile(moto, user_id)["risk_rank"] == 0
    deliver_ranks(moto, user_id)

    scan_earn(user_id, "CALM.1.X")
    points = call_http("points_get", token=answer["token"]).json
    assert (points["balance"], points["pending"]) == (50, 0)


def test_wechat_down_at_login_leaves_the_rank_unknown_and_the_login_succeeds(cloud, capsys, caplog) -> None:
    moto, _ = cloud
    answer = login("ok:oDownZhao:uDownZhao")  # nothing scripted: WeChat answers 404
    user_id = answer["user"]["id"]
    assert answer["user"]["is_new"] and "risk_rank" not in profile(moto, user_id)
    assert "risk rank unavailable, left unknown" in caplog.messages
    assert '"RiskRankUnavailable":[1.0]' in capsys.readouterr().out  # the metric
    assert deliver_ranks(moto, user_id) == []

    scan_earn(user_id, "DOWN.1.X")  # unknown is not risky
    assert call_http("points_get", token=answer["token"]).json["balance"] == 50


def test_the_verdict_is_cached_for_a_day_then_asked_again_as_marketing(
    cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moto, wechat = cloud
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "errmsg": "ok", "risk_rank": 1}))
    user_id = login("ok:oDailyQian:uDailyQian~1")["user"]["id"]
    login("ok:oDailyQian:uDailyQian~2")  # a code is single-use: each login a new one
    assert len([c for c in wechat.api_calls_to(RISK_RANK_PATH) if c["openid"] == "oDailyQian"]) == 1

    clock = tmp_path / "clock.json"
    clock.write_text(json.dumps({"offset_s": 25 * 3600}))
    monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(clock))
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "errmsg": "ok", "risk_rank": 3}))
    login("ok:oDailyQian:uDailyQian~3")
    calls = [c for c in wechat.api_calls_to(RISK_RANK_PATH) if c["openid"] == "oDailyQian"]
    assert [c["scene"] for c in calls] == [0, 1]
    assert profile(moto, user_id)["risk_rank"] == 3
    [first, second] = deliver_ranks(moto, user_id)
    assert (first["detail"]["risk_rank"], second["detail"]["risk_rank"]) == (1, 3)
    account = stored(moto.settings.table_name("points"), account_key(user_id))
    assert account is not None and account["risk_rank"] == 3


def test_a_late_older_rank_does_not_replace_a_newer_one(cloud) -> None:
    moto, _ = cloud
    body = {
        "version": "0",
        "id": "rank-late",
        "detail-type": "RiskRankChanged",
        "source": "earnloop.identity",
        "account": "123456789012",
        "time": "2026-12-02T09:00:00Z",
        "region": "ap-east-1",
        "resources": [],
        "detail": {"user_id": "u-late-rank", "risk_rank": 4, "risk_rank_at": "2026-12-02T09:00:00.000Z"},
    }
    older = {
        **body,
        "id": "rank-older",
        "detail": {**body["detail"], "risk_rank": 0, "risk_rank_at": "2026-12-01T09:00:00.000Z"},
    }
    assert invoke("points_earn", sqs_event(EARN_SAMPLE, body, older)) == {"batchItemFailures": []}
    account = stored(moto.settings.table_name("points"), account_key("u-late-rank"))
    assert account is not None and (account["risk_rank"], account["version"]) == (4, 0)


def test_an_admin_releases_a_risky_users_pending_points_now_audited(cloud) -> None:
    moto, wechat = cloud
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "errmsg": "ok", "risk_rank": 3}))
    answer = login("ok:oReviewedSun:uReviewedSun")
    user_id, token = answer["user"]["id"], answer["token"]
    deliver_ranks(moto, user_id)
    scan_earn(user_id, "REVIEW.1.X")
    scan_earn(user_id, "REVIEW.2.X")
    assert call_http("points_get", token=token).json["pending"] == 100

    release = {"path_parameters": {"user_id": user_id}, "body": {"reason": "reviewed: a real shopper"}}
    refused = call_http("admin_users_pending_release", token=moto.token("rr-mallory"), **release)
    assert refused.status == 403
    admin = moto.token("rr-admin", "admin")
    done = call_http("admin_users_pending_release", token=admin, **release)
    assert done.status == 200 and done.json == {
        "user_id": user_id,
        "released": 100,
        "earns": 2,
        "balance": 100,
    }
    again = call_http("admin_users_pending_release", token=admin, **release)
    assert again.json == {"user_id": user_id, "released": 0, "earns": 0, "balance": 100}
    points = call_http("points_get", token=token).json
    assert (points["balance"], points["pending"], "pending_releases" in points) == (100, 0, False)
    missing = call_http("admin_users_pending_release", token=admin, path_parameters={"user_id": "nobody-rr"})
    assert missing.status == 404

    audit = call_http("admin_audit_list", token=admin, query={"target": user_id}).json["items"]
    assert sorted((i["action"], i["reference"], i["reason"]) for i in audit) == [
        ("release_pending", "scan#REVIEW.1.X", "reviewed: a real shopper"),
        ("release_pending", "scan#REVIEW.2.X", "reviewed: a real shopper"),
    ]
