"""Referrals through the sharing worker (`shares_settle`) and the points worker: a brand-new user whose
first login carries a live share link becomes the sharer's referral once; every abuse earns nothing
and leaves its reason on the referee's `REFERRAL#` item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from earnloop.platform import aws
from earnloop.platform.clock import business_day
from earnloop.platform.dynamo import marshal
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import forget_cached_rules
from earnloop.points.rule_store import rule_key
from earnloop.points.store import PointsStore

from tests.integration.sharing.sharing_harness import registered
from tests.support.lambdas import call_http, drain, invoke, pump_stream, sqs_event, stored

if TYPE_CHECKING:
    from collections.abc import Iterator


def test_a_new_users_first_login_through_a_share_makes_one_referral_and_pays_once(sharing, moto_cloud):
    li_token = sharing.token("li-a")
    login = call_http("auth_login", body={"code": "dev:wang", "referral_token": li_token})
    assert login.status == 200 and login.json["user"]["is_new"], login.body
    wang = login.json["user"]["id"]
    # Wang's client also reports the link it opened, and its open is judged first: an open alone
    # looks like an existing user's; the registration that follows proves Wang new.
    assert sharing.open(wang, li_token).status == 204
    sharing.settle_own_events()
    assert sharing.referral(wang)["reason"] == "existing_user"

    pump_stream(moto_cloud.streams["identity"])
    [registration] = [e for e in drain(moto_cloud.queues["sharing"].main) if e["detail"]["user_id"] == wang]
    assert registration["detail"]["referral_token"] == li_token
    sharing.settle(registration, registration)  # a redelivery changes nothing
    sharing.settle(registration)

    referral = sharing.referral(wang)
    assert referral["status"] == "accepted" and "reason" not in referral
    assert referral["referrer_id"] == "li-a"
    share = sharing.share_item(referral["share_id"])
    assert (share["friend_id"], share["trigger"]) == (wang, "login")
    assert sharing.counter("li-a", business_day(datetime.now(UTC)))["referrals"] == 1

    sharing.pay(twice=True)  # every event again: nothing is paid twice

    entries = sharing.entries("li-a")
    assert set(entries) == {f"referral#{wang}", f"share#{referral['share_id']}"}
    assert entries[f"referral#{wang}"].delta == 50 and entries[f"referral#{wang}"].reason == "referral"
    assert entries[f"share#{referral['share_id']}"].delta == 5
    assert sharing.balance("li-a") == 55
    assert sharing.balance(wang) == 0


def test_every_abuse_earns_nothing_and_records_its_reason(sharing, moto_cloud):
    li_token = sharing.token("li-b")
    share_id = sharing.share_item_id(li_token)
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    forged = sharing.forge(share_id, "li-b", now + timedelta(days=1), key="another-stage-key-" + "x" * 20)
    altered = li_token[:-3] + ("AAA" if not li_token.endswith("AAA") else "BBB")
    expired = sharing.forge(share_id, "li-b", now - timedelta(seconds=1))
    events = [
        registered("li-b", li_token),  # self
        registered("n-forged", forged),
        registered("n-altered", altered),
        registered("n-malformed", "not-a-token"),
        registered("n-expired", expired),
        # Live when the friend logged in, judged later: accepted (the queue's delay is no fault).
        registered("n-late", sharing.forge(share_id, "li-b", now - timedelta(hours=1)), created_at=yesterday),
    ]
    sharing.settle(*events)
    sharing.settle(*events)  # duplicate deliveries: the first decision stands
    # An existing user opening a share, and the sharer opening their own.
    assert sharing.open("zhang-b", li_token).status == 204
    assert sharing.open("li-b", li_token).status == 204
    sharing.settle_own_events()

    reasons = {
        user: (sharing.referral(user)["status"], sharing.referral(user).get("reason"))
        for user in ("li-b", "n-forged", "n-altered", "n-malformed", "n-expired", "zhang-b", "n-late")
    }
    assert reasons == {
        "li-b": ("refused", "self"),
        "n-forged": ("refused", "forged"),
        "n-altered": ("refused", "forged"),
        "n-malformed": ("refused", "malformed"),
        "n-expired": ("refused", "expired"),
        "zhang-b": ("refused", "existing_user"),
        "n-late": ("accepted", None),
    }
    # A forged token's claims are not believed: no referrer is recorded for it.
    assert "referrer_id" not in sharing.referral("n-forged")
    assert sharing.referral("n-expired")["referrer_id"] == "li-b"

    sharing.pay()

    # Only the one genuine referral pays (and the share it came through, once).
    assert set(sharing.entries("li-b")) == {"referral#n-late", f"share#{share_id}"}
    assert sharing.balance("zhang-b") == 0


@pytest.fixture
def referral_cap_of_two(moto_cloud) -> Iterator[None]:
    """The referral rule as an admin set it: 50 points, at most 100 a day, so two referrals a day."""
    table = moto_cloud.settings.table_name("points")
    item = {**rule_key("referral"), "name": "referral", "points": 50, "daily_cap": 100, "enabled": True}
    aws.dynamodb().put_item(TableName=table, Item=marshal({**item, "version": 1}))
    forget_cached_rules()
    yield
    aws.dynamodb().delete_item(TableName=table, Key=marshal(rule_key("referral")))
    forget_cached_rules()


def test_a_referrer_over_the_daily_cap_earns_nothing_more_and_the_reason_is_recorded(
    sharing, referral_cap_of_two
):
    # One link, shared in a group chat, brings three new users.
    token = sharing.token("li-c")
    events = [registered(f"new-{i}", token) for i in range(3)]

    sharing.settle(*events)
    sharing.settle(events[-1])

    assert [sharing.referral(f"new-{i}")["status"] for i in range(3)] == ["accepted", "accepted", "refused"]
    assert sharing.referral("new-2")["reason"] == "over_cap"
    assert sharing.counter("li-c", business_day(datetime.now(UTC)))["referrals"] == 2

    sharing.pay()

    entries = sharing.entries("li-c")
    assert sorted(t for t in entries if t.startswith("referral#")) == ["referral#new-0", "referral#new-1"]
    # The share itself paid once, for the first login it led to.
    assert len([t for t in entries if t.startswith("share#")]) == 1
    assert sharing.balance("li-c") == 100 + 5


@pytest.fixture
def referral_risk(request, monkeypatch) -> Iterator[None]:
    """Referrals a sliding day and a burst (small numbers keep the farms short): `(per_day, burst)`
    from the test's parameter."""
    per_day, burst = request.param
    monkeypatch.setenv("EARNLOOP_REFERRALS_PER_DAY", str(per_day))
    monkeypatch.setenv("EARNLOOP_REFERRAL_BURST", str(burst))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("referral_risk", [(2, 10)], indirect=True)
def test_a_referrer_over_the_sliding_day_limit_is_refused_rate_limited_and_paid_nothing_more(
    sharing, referral_risk
):
    token = sharing.token("li-r")
    events = [registered(f"rl-{i}", token) for i in range(3)]

    sharing.settle(*events)
    sharing.settle(*events)  # redelivered: every decision stands

    assert [sharing.referral(f"rl-{i}")["status"] for i in range(3)] == ["accepted", "accepted", "refused"]
    assert sharing.referral("rl-2")["reason"] == "rate_limited"
    counter = stored(sharing.table, {"pk": "RISK#referral#user#li-r", "sk": "RISK"})
    assert sum(v for k, v in counter.items() if k[1:].isdigit()) == 2  # acceptances only
    sharing.pay()
    assert sorted(t for t in sharing.entries("li-r") if t.startswith("referral#")) == [
        "referral#rl-0",
        "referral#rl-1",
    ]


@pytest.mark.parametrize("referral_risk", [(10, 3)], indirect=True)
def test_a_referral_burst_freezes_the_referrer(sharing, referral_risk):
    links = [sharing.token(f"li-b{n}") for n in range(2)]
    # Two referrers: three referrals of one within minutes is a burst, two of the other is not.
    sharing.settle(*[registered(f"rb-{i}", links[0]) for i in range(3)])
    sharing.settle(*[registered(f"rc-{i}", links[1]) for i in range(2)])

    pump_stream(sharing.cloud.streams["sharing"])
    delivered = [b for b in drain(sharing.cloud.queues["points"].main) if "li-b" in str(b["detail"])]
    assert invoke("points_earn", sqs_event("sqs/points_earn.json", *delivered)) == {"batchItemFailures": []}

    flags = [b["detail"] for b in delivered if b["detail-type"] == "RiskFlagged"]
    assert {(f["user_id"], f["rule"]) for f in flags} == {("li-b0", "referral_burst")}
    assert flags[0]["evidence"]["count"] == 3 and delivered[0]["source"] == "earnloop.sharing"
    frozen = PointsStore.default().account("li-b0")
    assert frozen.status == "frozen" and PointsStore.default().account("li-b1").status == "active"
    [freeze] = [e for e in sharing.entries("li-b0").values() if e.entry_type == "freeze"]
    assert freeze.reason == "risk:referral_burst" and freeze.txn_id.startswith(
        "freeze#risk#referral_burst#li-b0#"
    )
