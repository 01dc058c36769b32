"""Pending points (a new account's earns wait) and sanctions (forfeit and bar) under moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from earnloop.local.samples import load
from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.errors import InsufficientPointsError
from earnloop.platform.settings import get_settings
from earnloop.points.models import EarnCommand, SpendCommand
from earnloop.points.pending import PendingPolicy
from earnloop.points.reconcile import check
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, account_key, hold_key

from tests.integration.points.points_harness import EARN_SAMPLE, admin_call
from tests.support.lambdas import all_items, call_http, invoke, sample_body, sqs_event, stored

USER = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
CODE = "AK7Q2M3X.7.MFRGGZDFMZTWQ2LKNNWG23TPOA"


def item(moto_cloud, key):
    return stored(moto_cloud.settings.table_name("points"), key)


def release_at(moment: datetime) -> dict:
    event = load("scheduled/points_release_pending.json")
    return invoke("points_release_pending", {**event, "time": iso(moment)})


def scan(code: str, points: int = 50) -> EarnCommand:
    return EarnCommand(txn_id=f"scan#{code}", user_id=USER, points=points, reason="scan")


@pytest.fixture
def pending_on(monkeypatch):
    monkeypatch.setenv("EARNLOOP_PENDING_DELAY_HOURS", "72")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_new_users_scan_is_pending_not_spendable_and_released_once_after_the_delay(moto_cloud, pending_on):
    moto_cloud.register(USER)
    body = sample_body(EARN_SAMPLE)
    assert invoke("points_earn", sqs_event(EARN_SAMPLE, body, body)) == {"batchItemFailures": []}

    hold = item(moto_cloud, hold_key(USER, f"scan#{CODE}"))
    account = item(moto_cloud, account_key(USER))
    assert hold is not None and hold["command"]["points"] == 50
    held_at = parse_iso(hold["held_at"])
    assert parse_iso(hold["release_at"]) == held_at + timedelta(hours=72)
    assert (account["balance"], account["opened_at"]) == (0, hold["held_at"])
    answer = call_http("points_get", token=moto_cloud.token(USER))
    assert (answer.status, answer.json["balance"], answer.json["pending"], answer.json["status"]) == (
        200,
        0,
        50,
        "active",
    )
    spend = SpendCommand(txn_id="order#1", user_id=USER, points=10, reason="redeem", actor=USER)
    with pytest.raises(InsufficientPointsError):  # 409 insufficient_points on the order route
        Ledger.default().spend(spend, held_at)

    assert release_at(held_at + timedelta(hours=71)) == {"points": 0}
    assert item(moto_cloud, account_key(USER))["balance"] == 0
    assert release_at(held_at + timedelta(hours=73)) == {"points": 50}
    assert release_at(held_at + timedelta(hours=74)) == {"points": 0}  # a rerun
    assert invoke("points_earn", sqs_event(EARN_SAMPLE, body)) == {"batchItemFailures": []}  # redelivery

    assert item(moto_cloud, account_key(USER))["balance"] == 50
    assert item(moto_cloud, hold_key(USER, f"scan#{CODE}")) is None
    [entry] = PointsStore.default().entries(USER)
    assert (entry.txn_id, entry.delta, entry.balance_after) == (f"scan#{CODE}", 50, 50)
    assert call_http("points_get", token=moto_cloud.token(USER)).json["pending"] == 0


def test_an_account_past_its_first_week_earns_at_once(moto_cloud):
    now = datetime(2026, 11, 1, tzinfo=UTC)
    Ledger.default().credit(scan("old"), now)  # opened while pending was off
    policy = PendingPolicy(delay_hours=72, new_account_days=7)
    ledger = Ledger(PointsStore.default(), pending=policy)
    assert ledger.credit(scan("young", 10), now + timedelta(days=6)).status == "pending"
    assert ledger.credit(scan("grown", 10), now + timedelta(days=7)).status == "applied"
    assert item(moto_cloud, account_key(USER))["balance"] == 60


def audit_records(cloud) -> list[dict]:
    table = cloud.settings.table_name("points")
    return [i for i in all_items(table) if i.get("entity") == "AdminAction"]


def test_a_sanction_forfeits_everything_drops_holds_and_bars_earning_until_the_bar_ends(moto_cloud):
    moto_cloud.register(USER)
    start = datetime.now(UTC) - timedelta(hours=1)
    Ledger.default().credit(scan("a", 50), start)
    Ledger.default().credit(scan("b", 30), start)
    pending = Ledger(PointsStore.default(), pending=PendingPolicy(delay_hours=72))
    assert pending.credit(scan("c", 20), start).status == "pending"

    answer = admin_call(
        "admin_users_sanction", moto_cloud.token("boss", "admin"), USER, {"reason": "farming"}
    )

    assert answer.status == 200, answer.body
    body = answer.json
    assert (body["balance"], body["forfeited"], body["bar_reason"]) == (0, 80, "farming")
    barred_until = parse_iso(body["barred_until"])
    assert timedelta(days=181) < barred_until - datetime.now(UTC) <= timedelta(days=182)
    entries = {e.txn_id: e for e in PointsStore.default().entries(USER)}
    forfeit = entries[body["txn_id"]]
    assert (forfeit.entry_type, forfeit.reason, forfeit.delta, forfeit.balance_after) == (
        "adjust",
        "forfeit",
        -80,
        0,
    )
    assert forfeit.reference == "farming" and forfeit.actor == "admin:boss"
    account = PointsStore.default().account(USER)
    assert account.buckets == {} and check(account, list(entries.values()), start.date()) is None
    assert item(moto_cloud, hold_key(USER, "scan#c")) is None
    record = item(moto_cloud, {"pk": f"ACCT#{USER}", "sk": f"SANCTION#{body['txn_id']}"})
    assert record["dropped_holds"] == [{"txn_id": "scan#c", "points": 20}]

    seen = call_http("points_get", token=moto_cloud.token(USER)).json
    assert (seen["status"], seen["barred_until"], seen["bar_reason"], seen["pending"]) == (
        "barred",
        body["barred_until"],
        "farming",
        0,
    )
    # Earns during the bar are refused with a recorded reason; redelivered, nothing changes.
    event = sqs_event(EARN_SAMPLE, sample_body(EARN_SAMPLE), sample_body(EARN_SAMPLE))
    assert invoke("points_earn", event) == {"batchItemFailures": []}
    refused = item(moto_cloud, {"pk": f"ACCT#{USER}", "sk": f"REFUSED#scan#{CODE}"})
    assert refused["reason"].startswith(f"barred until {body['barred_until']}: farming")
    assert item(moto_cloud, account_key(USER))["balance"] == 0
    # A repeated verdict changes nothing.
    again = admin_call("admin_users_sanction", moto_cloud.token("boss", "admin"), USER, {"reason": "again"})
    assert (again.status, again.json["forfeited"], again.json["barred_until"]) == (
        200,
        0,
        body["barred_until"],
    )
    assert "txn_id" not in again.json
    assert len(PointsStore.default().entries(USER)) == 3
    # One audit record, of the verdict that changed something.
    [audited] = audit_records(moto_cloud)
    assert (audited["action"], audited["actor"], audited["reason"], audited["reference"]) == (
        "sanction",
        "admin:boss",
        "farming",
        body["txn_id"],
    )
    assert audited["before"] == {"status": "active", "balance": 80, "barred_until": None}
    assert audited["after"] == {"status": "active", "balance": 0, "barred_until": body["barred_until"]}

    # The bar ends by itself.
    assert Ledger.default().credit(scan("later", 5), barred_until + timedelta(seconds=1)).status == "applied"
    assert item(moto_cloud, account_key(USER))["balance"] == 5


def test_a_sanction_needs_an_admin_and_an_existing_user(moto_cloud):
    moto_cloud.register(USER)
    body = {"reason": "farming"}
    assert admin_call("admin_users_sanction", moto_cloud.token(USER), USER, body).status == 403
    answer = admin_call("admin_users_sanction", moto_cloud.token("boss", "admin"), "nobody", body)
    assert answer.status == 404
    assert item(moto_cloud, account_key("nobody")) is None
    assert audit_records(moto_cloud) == []
