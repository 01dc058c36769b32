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
from earnloop.points.earning_rules import forget_cached_rules
from earnloop.points.rule_store import rule_key

from tests.integration.sharing.sharing_harness import registered
from tests.support.lambdas import call_http, drain, pump_stream

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
def referral_cap_of_two(sharing_cloud) -> Iterator[None]:
    """The referral rule as an admin set it: 50 points, at most 100 a day, so two referrals a day."""
    table = sharing_cloud.settings.table_name("points")
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
