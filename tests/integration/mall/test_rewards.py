"""The catalog: admins create and edit rewards; buyers page what is on sale now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.integration.mall.mall_harness import ADMIN, create_reward, fund, redeem
from tests.support.lambdas import all_items, assert_problem, call_http


def _list(cloud, user_id: str = "li", **query: str):
    answer = call_http("rewards_list", token=cloud.token(user_id), query=query or {"limit": "20"})
    assert answer.status == 200, answer.body
    return answer.json


def test_an_admin_creates_a_reward_with_its_stock_and_a_buyer_cannot(moto_cloud):
    reward = create_reward(
        moto_cloud, name="Trial pack", kind="physical", points=200, cash_cents=990, stock=7, tags=["yogurt"]
    )
    assert (reward["points"], reward["cash_cents"], reward["stock_left"], reward["version"]) == (
        200,
        990,
        7,
        1,
    )
    assert reward["sale"]["open"] is True and reward["listed"] is True
    body = {"name": "x", "kind": "virtual", "points": 1, "stock": 1}
    assert_problem(call_http("rewards_create", token=moto_cloud.token("li"), body=body), 403, "forbidden")
    for bad in (
        {**body, "points": 0},
        {**body, "points": "1"},
        {**body, "kind": "cash"},
        {**body, "stock": -1},
    ):
        answer = call_http("rewards_create", token=moto_cloud.token(ADMIN, "admin"), body=bad)
        assert_problem(answer, 422, "validation_error")
    coupon_with_stock = {**body, "kind": "coupon", "stock": 5}
    answer = call_http("rewards_create", token=moto_cloud.token(ADMIN, "admin"), body=coupon_with_stock)
    assert_problem(answer, 422, "validation_error")


def test_an_edit_changes_price_window_and_stock_and_keeps_what_was_sold(moto_cloud):
    reward = create_reward(moto_cloud, points=10, stock=5)
    fund("li", 100)
    assert redeem(moto_cloud, "li", reward["reward_id"], "key-edit-0001").status == 201

    token = moto_cloud.token(ADMIN, "admin")
    path = {"reward_id": reward["reward_id"]}
    edited = call_http("rewards_update", token=token, path_parameters=path, body={"points": 25, "stock": 10})
    assert edited.status == 200, edited.body
    assert (edited.json["points"], edited.json["stock_left"], edited.json["version"]) == (25, 10, 2)
    assert redeem(moto_cloud, "li", reward["reward_id"], "key-edit-0002").json["points"] == 25

    flash = call_http("rewards_update", token=token, path_parameters=path, body={"flash": True})
    assert flash.json["flash"] is True and flash.json["stock_left"] == 9
    cleared = call_http("rewards_update", token=token, path_parameters=path, body={"per_user_limit": None})
    assert cleared.status == 200 and "per_user_limit" not in cleared.json
    for bad in (
        {"name": None},
        {"points": 0},
        {"window": {"ends_at": "2026-01-01T00:00:00"}},
        {"kind": "coupon"},
    ):
        answer = call_http("rewards_update", token=token, path_parameters=path, body=bad)
        assert_problem(answer, 422, "validation_error")
    missing = {"reward_id": "01JDQZ8Y0000000000000000ZZ"}
    assert_problem(
        call_http("rewards_update", token=token, path_parameters=missing, body={}), 404, "not_found"
    )
    # Each edit that committed wrote one audit record with what it changed; refused ones none.
    records = sorted(
        (i for i in all_items(moto_cloud.settings.table_name("mall")) if i.get("entity") == "AdminAction"),
        key=lambda r: r["sk"],
    )
    assert [(r["action"], r["target"], r["before"], r["after"]) for r in records] == [
        ("reward.create", reward["reward_id"], {}, records[0]["after"]),
        ("reward.update", reward["reward_id"], {"points": 10}, {"points": 25, "stock": 10}),
        ("reward.update", reward["reward_id"], {"flash": False}, {"flash": True}),
        ("reward.update", reward["reward_id"], {}, {}),
    ]
    created = records[0]["after"]
    assert {name: created[name] for name in ("name", "kind", "points", "stock", "listed")} == {
        "name": "Trial pack",
        "kind": "virtual",
        "points": 10,
        "stock": 5,
        "listed": True,
    }


def test_the_listing_shows_what_is_on_sale_now_ending_soonest_first_in_pages(moto_cloud):
    now = datetime.now(UTC)
    soon = create_reward(
        moto_cloud, name="ends soon", window={"ends_at": (now + timedelta(hours=1)).isoformat()}
    )
    later = create_reward(
        moto_cloud, name="ends later", window={"ends_at": (now + timedelta(days=3)).isoformat()}
    )
    open_ended = create_reward(moto_cloud, name="no end")
    create_reward(moto_cloud, name="upcoming", window={"starts_at": (now + timedelta(days=1)).isoformat()})
    create_reward(moto_cloud, name="ended", window={"ends_at": (now - timedelta(minutes=1)).isoformat()})
    create_reward(moto_cloud, name="unlisted", listed=False)

    first = _list(moto_cloud, limit="2")
    rest = _list(moto_cloud, limit="2", cursor=first["next_cursor"])
    seen = [r["reward_id"] for r in first["items"] + rest["items"]]
    assert seen == [soon["reward_id"], later["reward_id"], open_ended["reward_id"]]
    assert all(r["sale"]["open"] for r in first["items"] + rest["items"])
    assert_problem(
        call_http("rewards_list", token=moto_cloud.token("li"), query={"cursor": "bm90LW91cnM"}),
        422,
        "validation_error",
    )


def test_for_you_orders_by_the_callers_tags_and_hints_at_points_expiring_soon(moto_cloud):
    cheese = create_reward(moto_cloud, name="cheese", points=50, tags=["cheese"])
    yogurt = create_reward(moto_cloud, name="yogurt", points=500, tags=["yogurt", "oat"])
    identity = IdentityStore(aws.dynamodb(), moto_cloud.settings.table_name("identity"))
    identity.count_scan_tags("li", "CODE1", ["yogurt", "oat"], "2026-11-23T00:00:00.000Z", 2_000_000_000)
    # Earned a year ago: those points expire at the end of this month, within 30 days.
    a_year_ago = datetime.now(UTC) - timedelta(days=365)
    command = EarnCommand(txn_id="scan#old", user_id="li", points=80, reason="scan")
    Ledger(PointsStore.default()).earn(command, a_year_ago)

    plain = _list(moto_cloud, "li")
    assert [r["reward_id"] for r in plain["items"]][:2] == [cheese["reward_id"], yogurt["reward_id"]]
    for_you = _list(moto_cloud, "li", for_you="true")
    assert [r["reward_id"] for r in for_you["items"]] == [yogurt["reward_id"], cheese["reward_id"]]
    assert for_you["expiring_soon"]["points"] == 80
    hints = {r["name"]: r.get("uses_expiring_points") for r in for_you["items"]}
    assert hints == {"cheese": True, "yogurt": False}
    # A caller with no points gets no hint at all.
    assert "expiring_soon" not in _list(moto_cloud, "wang")


def test_a_reward_is_shown_with_its_next_opening_and_an_unlisted_one_is_404(moto_cloud):
    monthly = create_reward(moto_cloud, window={"recurring": {"day": 1, "at": "10:00", "minutes": 60}})
    hidden = create_reward(moto_cloud, listed=False)
    token = moto_cloud.token("li")
    shown = call_http("rewards_get", token=token, path_parameters={"reward_id": monthly["reward_id"]})
    assert shown.status == 200
    sale = shown.json["sale"]
    opens = datetime.fromisoformat(sale["opens_at"]).astimezone(UTC)
    assert (opens.day, opens.hour, opens.minute) == (1, 2, 0)  # 10:00 Asia/Shanghai on the 1st
    answer = call_http("rewards_get", token=token, path_parameters={"reward_id": hidden["reward_id"]})
    assert_problem(answer, 404, "not_found")


def test_make_devs_demo_rewards_are_seeded_once(moto_cloud):
    from earnloop.local.demo import DEMO_REWARDS, seed_rewards

    seed_rewards(datetime.now(UTC))
    seed_rewards(datetime.now(UTC))  # a restart on a kept database

    names = [r["name"] for r in _list(moto_cloud)["items"]]
    assert sorted(names) == sorted(r.name for r in DEMO_REWARDS)
