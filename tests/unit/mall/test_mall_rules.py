"""Pure rules of the mall: sale windows at their edges, limits, fingerprints, addresses, events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from earnloop.mall import rules
from earnloop.mall.events import RedemptionPlaced, RedemptionStatusChanged, derive
from earnloop.mall.models import Address, RecurringWindow, RedemptionCreate, Reward, SaleWindow
from earnloop.platform.clock import BUSINESS_TZ
from earnloop.platform.errors import LimitReachedError, NotOnSaleError, ValidationFailedError
from earnloop.platform.events import Change
from earnloop.points.models import Account, LedgerEntry
from earnloop.points.spending import plan_refund
from pydantic import ValidationError

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
END = START + timedelta(hours=2)
MONTHLY = RecurringWindow(day=1, at=time(10, 0), minutes=60)


def _reward(**fields: object) -> Reward:
    base = {
        "reward_id": "R",
        "name": "n",
        "kind": "virtual",
        "points": 10,
        "created_at": "x",
        "updated_at": "x",
    }
    return Reward.model_validate({**base, **fields})


def test_a_window_opens_at_its_start_inclusive_and_closes_at_its_end_exclusive():
    window = SaleWindow(starts_at=START, ends_at=END)
    assert rules.sale_state(window, START - timedelta(milliseconds=1)).open is False
    assert rules.sale_state(window, START).open is True
    assert rules.sale_state(window, END - timedelta(milliseconds=1)).open is True
    closed = rules.sale_state(window, END)
    assert closed.open is False and closed.opens_at is None


def test_a_monthly_window_opens_on_its_day_and_says_when_it_opens_next():
    window = SaleWindow(recurring=MONTHLY)
    at_open = rules.sale_state(window, START)
    assert at_open.open and at_open.closes_at == START + timedelta(hours=1)
    just_closed = rules.sale_state(window, START + timedelta(hours=1))
    assert not just_closed.open
    assert just_closed.opens_at == datetime(2027, 1, 1, 10, tzinfo=BUSINESS_TZ)
    before = rules.sale_state(window, START - timedelta(seconds=1))
    assert not before.open and before.opens_at == START
    # Bounded by the sale period: no opening after its end.
    bounded = SaleWindow(ends_at=START + timedelta(days=20), recurring=MONTHLY)
    assert rules.sale_state(bounded, START + timedelta(hours=2)).opens_at is None


def test_a_monthly_limit_counts_each_opening_on_its_own():
    window = SaleWindow(recurring=MONTHLY)
    assert rules.limit_period(window, rules.sale_state(window, START)) == "2026-12-01"
    assert rules.limit_period(SaleWindow(), rules.sale_state(SaleWindow(), START)) == rules.WHOLE_SALE


def test_check_redeemable_refuses_closed_unlisted_over_limit_and_addressless_physical():
    request = RedemptionCreate(reward_id="0" * 26, quantity=2)
    with pytest.raises(NotOnSaleError) as closed:
        rules.check_redeemable(_reward(window=SaleWindow(starts_at=END)), request, START)
    assert closed.value.extensions["opens_at"] == END.isoformat()
    with pytest.raises(NotOnSaleError):
        rules.check_redeemable(_reward(listed=False), request, START)
    with pytest.raises(LimitReachedError):
        rules.check_redeemable(_reward(per_user_limit=1), request, START)
    with pytest.raises(ValidationFailedError):
        rules.check_redeemable(_reward(kind="physical"), request, START)
    assert rules.check_redeemable(_reward(per_user_limit=2), request, START) == rules.WHOLE_SALE


def test_an_order_starts_as_its_reward_says():
    assert rules.initial_status(_reward(review=True)) == "pending_review"
    assert rules.initial_status(_reward(kind="physical")) == "confirmed"
    assert rules.initial_status(_reward(cash_cents=100)) == "confirmed"
    assert rules.initial_status(_reward(kind="coupon")) == "fulfilled"


def test_the_fingerprint_binds_every_field_of_the_body():
    one = RedemptionCreate(reward_id="0" * 26, quantity=1)
    assert rules.request_fingerprint(one) == rules.request_fingerprint(RedemptionCreate(reward_id="0" * 26))
    assert rules.request_fingerprint(one) != rules.request_fingerprint(one.model_copy(update={"quantity": 2}))


def test_an_address_is_validated_and_masked():
    address = Address(name="李雷", phone="+8613800138000", region="上海市徐汇区", detail="漕溪路88号")
    assert address.masked() == {
        "name": "李*",
        "phone": "138****8000",
        "region": "上海市徐汇区",
        "detail": "***",
    }
    assert "13800138000" not in repr(address) and "漕溪路" not in str(address)
    with pytest.raises(ValidationError):
        Address(name="Li", phone="02112345678", region="Shanghai", detail="88 Caoxi Road")


def test_windows_need_offsets_and_an_end_after_the_start():
    with pytest.raises(ValidationError):
        SaleWindow(starts_at=datetime(2026, 12, 1, 10))
    with pytest.raises(ValidationError):
        SaleWindow(starts_at=END, ends_at=START)


def test_a_refund_restores_exactly_the_buckets_the_spend_took():
    spend = LedgerEntry(
        txn_id="redeem#k",
        user_id="u",
        entry_type="spend",
        delta=-100,
        balance_after=40,
        buckets={"2027-01-31": -60, "2027-03-31": -40},
        reason="redeem",
        actor="u",
        created_at="2026-12-01T02:00:00.000Z",
    )
    account = Account(
        user_id="u", balance=40, version=3, buckets={date(2027, 3, 31): 40}, next_expiry=date(2027, 3, 31)
    )
    posting = plan_refund(account, spend, "refund#o", "refund", "admin:a", "o", START)
    assert posting.bucket_deltas == {date(2027, 1, 31): 60, date(2027, 3, 31): 40}
    assert (posting.entry.delta, posting.entry.balance_after, posting.next_expiry) == (
        100,
        140,
        date(2027, 1, 31),
    )
    with pytest.raises(ValueError, match="not a spend"):
        plan_refund(account, posting.entry, "refund#x", "refund", "a", None, START)


def _order(status: str) -> dict[str, object]:
    return {
        "entity": "Order",
        "order_id": "O",
        "user_id": "u",
        "reward_id": "R",
        "reward_name": "Trial pack",
        "quantity": 1,
        "points": 100,
        "status": status,
        "tags": ["yogurt"],
    }


def test_orders_become_placed_and_status_changed_events_and_nothing_else_does():
    placed = derive(Change("mall", "INSERT", None, _order("pending_review")))
    assert placed == [
        RedemptionPlaced(
            order_id="O",
            user_id="u",
            reward_id="R",
            reward_name="Trial pack",
            quantity=1,
            points=100,
            status="pending_review",
            tags=["yogurt"],
        )
    ]
    moved = derive(Change("mall", "MODIFY", _order("pending_review"), _order("cancelled")))
    assert moved == [
        RedemptionStatusChanged(
            order_id="O",
            user_id="u",
            reward_id="R",
            reward_name="Trial pack",
            from_status="pending_review",
            to_status="cancelled",
            points=100,
        )
    ]
    assert derive(Change("mall", "MODIFY", _order("confirmed"), _order("confirmed"))) == []
    assert derive(Change("mall", "INSERT", None, {"entity": "Reward", "reward_id": "R"})) == []
    assert derive(Change("mall", "INSERT", None, {"entity": "StockShard"})) == []
