"""`POST /v1/redemptions` on its sample event under moto: one transaction over points and mall."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from earnloop.local.samples import http_event
from earnloop.mall.store import idempotency_key, order_key
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, account_key, entry_key

from tests.integration.mall.mall_harness import ADDRESS, create_reward, fund, redeem
from tests.support.lambdas import assert_problem, call_http, http_answer, invoke, stored

KEY = "key-0001-aaaa"


def _balance(user_id: str) -> tuple[int, dict[str, int]]:
    account = PointsStore.default().account(user_id)
    return account.balance, {d.isoformat(): p for d, p in account.buckets.items()}


def _stock_left(cloud, reward_id: str) -> int:
    answer = call_http("rewards_get", token=cloud.token("viewer"), path_parameters={"reward_id": reward_id})
    assert answer.status == 200, answer.body
    return int(answer.json["stock_left"])


def test_a_redemption_spends_oldest_buckets_first_takes_stock_and_writes_the_order(moto_cloud):
    reward = create_reward(moto_cloud, points=100, stock=5, tags=["yogurt"])
    fund("li", 60, 80)

    answer = redeem(moto_cloud, "li", reward["reward_id"], KEY)

    assert answer.status == 201, answer.body
    order = answer.json
    assert (order["status"], order["points"], order["quantity"], order["kind"]) == (
        "fulfilled",
        100,
        1,
        "virtual",
    )
    assert answer.headers["location"] == f"/v1/redemptions/{order['order_id']}"
    # The January bucket (60) is emptied first, then 40 of March's 80.
    assert _balance("li") == (40, {"2027-03-31": 40})
    entry = stored(moto_cloud.settings.table_name("points"), entry_key("li", f"redeem#{KEY}"))
    assert entry is not None
    assert (entry["entry_type"], entry["delta"], entry["balance_after"], entry["reference"]) == (
        "spend",
        -100,
        40,
        order["order_id"],
    )
    assert entry["buckets"] == {"2027-01-31": -60, "2027-03-31": -40}
    assert _stock_left(moto_cloud, reward["reward_id"]) == 4
    saved = stored(moto_cloud.settings.table_name("mall"), order_key(order["order_id"]))
    assert saved is not None and saved["user_id"] == "li" and saved["spend_txn_id"] == f"redeem#{KEY}"


def test_the_same_key_and_body_return_the_same_order_and_another_body_is_409(moto_cloud):
    reward = create_reward(moto_cloud, points=10, stock=5)
    fund("li", 100)
    first = redeem(moto_cloud, "li", reward["reward_id"], KEY)
    assert first.status == 201

    again = redeem(moto_cloud, "li", reward["reward_id"], KEY)
    assert again.status == 200 and again.json == first.json
    assert_problem(
        redeem(moto_cloud, "li", reward["reward_id"], KEY, quantity=2), 409, "idempotency_conflict"
    )

    # Once spent, once taken: the repeats changed nothing.
    assert _balance("li")[0] == 90
    assert _stock_left(moto_cloud, reward["reward_id"]) == 4
    # Another user's identical key is their own.
    fund("wang", 100)
    assert redeem(moto_cloud, "wang", reward["reward_id"], KEY).status == 201


def test_a_redemption_without_an_idempotency_key_is_422(moto_cloud):
    reward = create_reward(moto_cloud)
    body = {"reward_id": reward["reward_id"], "quantity": 1}
    event = http_event("apigw/redemptions_create.json", token=moto_cloud.token("li"), body=body)
    del event["headers"]["idempotency-key"]
    assert_problem(http_answer(invoke("redemptions_create", event)), 422, "validation_error")
    # A key that could not be one of ours (too short) is refused the same way.
    assert_problem(redeem(moto_cloud, "li", reward["reward_id"], "short"), 422, "validation_error")


def _nothing_changed(cloud, user_id: str, reward_id: str, balance: int, stock: int) -> None:
    assert _balance(user_id)[0] == balance
    assert _stock_left(cloud, reward_id) == stock
    assert stored(cloud.settings.table_name("mall"), idempotency_key(user_id, KEY)) is None
    assert stored(cloud.settings.table_name("points"), entry_key(user_id, f"redeem#{KEY}")) is None


def test_insufficient_points_is_409_and_nothing_changes(moto_cloud, capsys):
    reward = create_reward(moto_cloud, points=100, stock=5)
    fund("li", 99)
    capsys.readouterr()
    assert_problem(redeem(moto_cloud, "li", reward["reward_id"], KEY), 409, "insufficient_points")
    # The refusal is counted by its reason (an EMF document on stdout, as Lambda sends it).
    [refused] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if "RedemptionsRefused" in line
    ]
    assert refused["reason"] == "insufficient_points" and refused["RedemptionsRefused"] == [1.0]
    _nothing_changed(moto_cloud, "li", reward["reward_id"], 99, 5)
    # The same key may be used again once the request can succeed: it recorded nothing.
    fund("li", 99, 1)
    assert redeem(moto_cloud, "li", reward["reward_id"], KEY).status == 201


def test_the_last_unit_goes_to_one_buyer_and_the_next_is_out_of_stock(moto_cloud):
    reward = create_reward(moto_cloud, points=10, stock=1)
    fund("li", 50)
    fund("wang", 50)
    assert redeem(moto_cloud, "li", reward["reward_id"], KEY).status == 201
    assert_problem(redeem(moto_cloud, "wang", reward["reward_id"], KEY), 409, "out_of_stock")
    _nothing_changed(moto_cloud, "wang", reward["reward_id"], 50, 0)


def test_the_per_user_limit_counts_across_orders(moto_cloud):
    reward = create_reward(moto_cloud, points=10, stock=10, per_user_limit=2)
    fund("li", 100)
    assert_problem(
        redeem(moto_cloud, "li", reward["reward_id"], "key-over-limit", quantity=3), 409, "limit_reached"
    )
    assert redeem(moto_cloud, "li", reward["reward_id"], "key-first-0001").status == 201
    assert redeem(moto_cloud, "li", reward["reward_id"], "key-second-001").status == 201
    assert_problem(redeem(moto_cloud, "li", reward["reward_id"], KEY), 409, "limit_reached")
    _nothing_changed(moto_cloud, "li", reward["reward_id"], 80, 8)


def test_a_frozen_account_is_423_and_nothing_changes(moto_cloud):
    reward = create_reward(moto_cloud, points=10, stock=5)
    fund("li", 100)
    Ledger(PointsStore.default()).freeze("li", "fraud", "admin:admin1", datetime.now(UTC))
    assert_problem(redeem(moto_cloud, "li", reward["reward_id"], KEY), 423, "account_frozen")
    _nothing_changed(moto_cloud, "li", reward["reward_id"], 100, 5)


def test_outside_its_window_a_reward_is_409_not_on_sale_with_when_it_opens(moto_cloud):
    now = datetime.now(UTC)
    later = (now + timedelta(days=1)).replace(microsecond=0)
    upcoming = create_reward(moto_cloud, window={"starts_at": later.isoformat()})
    ended = create_reward(moto_cloud, window={"ends_at": (now - timedelta(seconds=1)).isoformat()})
    fund("li", 500)

    problem = assert_problem(redeem(moto_cloud, "li", upcoming["reward_id"], KEY), 409, "not_on_sale")
    assert datetime.fromisoformat(problem["opens_at"]) == later
    assert_problem(redeem(moto_cloud, "li", ended["reward_id"], KEY), 409, "not_on_sale")
    assert _balance("li")[0] == 500


def test_a_physical_reward_needs_a_valid_address(moto_cloud):
    reward = create_reward(moto_cloud, kind="physical", points=10, stock=5)
    fund("li", 100)
    assert_problem(redeem(moto_cloud, "li", reward["reward_id"], KEY), 422, "validation_error")
    bad_phone = {**ADDRESS, "phone": "12345"}
    assert_problem(
        redeem(moto_cloud, "li", reward["reward_id"], KEY, address=bad_phone), 422, "validation_error"
    )

    answer = redeem(moto_cloud, "li", reward["reward_id"], KEY, address=ADDRESS)
    assert answer.status == 201, answer.body
    assert answer.json["status"] == "confirmed" and answer.json["address"] == ADDRESS


def test_an_unknown_reward_is_404_and_a_malformed_body_is_422(moto_cloud):
    fund("li", 100)
    assert_problem(redeem(moto_cloud, "li", "01JDQZ8Y0000000000000000ZZ", KEY), 404, "not_found")
    reward = create_reward(moto_cloud)
    for bad in ({"quantity": 0}, {"quantity": "1"}, {"quantity": 11}, {"extra": 1}):
        assert_problem(redeem(moto_cloud, "li", reward["reward_id"], KEY, **bad), 422, "validation_error")
    assert stored(moto_cloud.settings.table_name("points"), account_key("li"))["balance"] == 100  # type: ignore[index]


def test_orders_are_listed_newest_first_and_another_users_order_is_404(moto_cloud):
    reward = create_reward(moto_cloud, points=1, stock=10)
    fund("li", 10)
    ids = [
        redeem(moto_cloud, "li", reward["reward_id"], f"key-list-{i:04d}").json["order_id"] for i in range(3)
    ]

    first_page = call_http("redemptions_list", token=moto_cloud.token("li"), query={"limit": "2"})
    assert first_page.status == 200, first_page.body
    assert [o["order_id"] for o in first_page.json["items"]] == ids[::-1][:2]
    rest = call_http(
        "redemptions_list",
        token=moto_cloud.token("li"),
        query={"limit": "2", "cursor": first_page.json["next_cursor"]},
    )
    assert [o["order_id"] for o in rest.json["items"]] == ids[:1] and "next_cursor" not in rest.json

    path = {"order_id": ids[0]}
    mine = call_http("redemptions_get", token=moto_cloud.token("li"), path_parameters=path)
    assert mine.status == 200 and mine.json["order_id"] == ids[0]
    theirs = call_http(
        "redemptions_get", token=moto_cloud.token("wang"), path_parameters={"order_id": ids[0]}
    )
    assert_problem(theirs, 404, "not_found")
    assert call_http("redemptions_list", token=moto_cloud.token("wang")).json["items"] == []


def test_a_coupon_reward_draws_a_code_shown_once_fulfilled_and_an_empty_pool_is_out_of_stock(moto_cloud):
    reward = create_reward(moto_cloud, kind="coupon", points=10, stock=0, coupon_codes=["CODE-A", "CODE-B"])
    assert reward["stock_left"] == 2
    fund("li", 100)
    first = redeem(moto_cloud, "li", reward["reward_id"], "key-coupon-01")
    second = redeem(moto_cloud, "li", reward["reward_id"], "key-coupon-02")
    assert first.status == second.status == 201
    assert {first.json["coupon_code"], second.json["coupon_code"]} == {"CODE-A", "CODE-B"}
    assert_problem(redeem(moto_cloud, "li", reward["reward_id"], KEY), 409, "out_of_stock")

    reviewed = create_reward(
        moto_cloud, kind="coupon", points=10, stock=0, review=True, coupon_codes=["CODE-C"]
    )
    waiting = redeem(moto_cloud, "li", reviewed["reward_id"], "key-coupon-03")
    assert waiting.json["status"] == "pending_review" and "coupon_code" not in waiting.json


def test_a_repeat_after_the_sale_closed_and_the_points_ran_out_still_answers_with_its_order(moto_cloud):
    from earnloop.mall import service
    from earnloop.mall.models import RedemptionCreate
    from earnloop.mall.service import Mall
    from earnloop.mall.store import MallStore

    now = datetime.now(UTC)
    reward = create_reward(moto_cloud, points=100, window={"ends_at": (now + timedelta(hours=1)).isoformat()})
    fund("li", 100)
    mall = Mall.build(MallStore.default(), PointsStore.default())
    request = RedemptionCreate(reward_id=reward["reward_id"])

    order, created = service.redeem(mall, "li", KEY, request, now)
    repeat, again = service.redeem(mall, "li", KEY, request, now + timedelta(hours=2))

    assert (created, again) == (True, False) and repeat == order
    assert _balance("li")[0] == 0
