"""Use cases of the mall: the catalog, redemption (one transaction across the points and mall
tables), and the review of orders with their exactly-once refund.

A redemption's transaction, in this order (a failed condition is reported by the first item that
failed, so the order decides which answer a request that fails several ways gets):
  0. the idempotency record `IDEM#<user>#<key>` (new)            -> answer from the record
     the attempt's risk counters (room in the sliding hour)       -> 429 rate_limited
  1. the ledger entry `redeem#<key>` (new)                        -> answer from the record
  2. the points account (version seen, not frozen, funded)       -> read again, plan again
  3. stock shard takes (and coupon codes)                         -> another shard / code, or 409
  4. the per-user limit counter (room for the quantity)           -> 409 limit_reached
  5. the order (new)
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from earnloop.mall import rules
from earnloop.mall.allocation import allocate_and_commit
from earnloop.mall.coupons import CouponPool, clean_codes
from earnloop.mall.models import (
    CANCELLED,
    Order,
    OrderStatus,
    RedemptionCreate,
    Reward,
    RewardCreate,
    RewardUpdate,
)
from earnloop.mall.outbox import order_noted_marker
from earnloop.mall.stock import StockStore
from earnloop.mall.stock_rules import shard_count
from earnloop.mall.store import IdempotencyKeyTakenError, MallStore, OrderMovedError
from earnloop.platform.audit import changed_fields
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError, TxAction, transact
from earnloop.platform.errors import (
    ConcurrencyError,
    EarnloopError,
    IdempotencyConflictError,
    InvalidStateError,
    NotFoundError,
    ValidationFailedError,
)
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger, metrics
from earnloop.platform.ttl_cache import TtlCache
from earnloop.points import spending
from earnloop.points.models import SpendCommand
from earnloop.points.service import MAX_ATTEMPTS, jittered_pause
from earnloop.points.store import AlreadyAppliedError, PointsStore, StaleAccountError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from earnloop.mall.allocation import Allocation
    from earnloop.platform.audit import AuditOf
    from earnloop.risk.attempts import Attempt

# Rounds of `allocate_and_commit` (each tries several times) before the client is told to retry.
_ROUNDS = 3


@dataclasses.dataclass(frozen=True)
class Mall:
    """The mall's stores; `pause` waits between attempts that lost a race (tests pass a no-op)."""

    store: MallStore
    points: PointsStore
    stock: StockStore
    coupons: CouponPool
    pause: Callable[[int], None] = jittered_pause
    # Flash-sale rewards as a redemption reads them (None: read each time). A flash sale's crowd
    # would otherwise read one reward item thousands of times a second, near one partition's read
    # limit; other rewards are read on every redemption, so an edit applies at once.
    rewards: TtlCache[Reward] | None = None

    @classmethod
    def build(cls, store: MallStore, points: PointsStore, rewards: TtlCache[Reward] | None = None) -> Mall:
        stock = StockStore(store.ddb, store.table)
        return cls(store, points, stock, CouponPool(store.ddb, store.table, stock), rewards=rewards)

    def reward_to_redeem(self, reward_id: str) -> Reward | None:
        if self.rewards is None:
            return self.store.reward(reward_id)
        return self.rewards.get(reward_id, self.store.reward, keep=lambda reward: reward.flash)

    def stock_left(self, rewards: list[Reward]) -> dict[str, int]:
        return self.stock.stock_left({r.reward_id: r.stock_shards for r in rewards})


# -- catalog ---------------------------------------------------------------------------------------


def create_reward(
    mall: Mall,
    body: RewardCreate,
    now: datetime,
    checks: Sequence[TxAction] = (),
    audit: AuditOf | None = None,
) -> Reward:
    """Puts the reward and its stock shards in one transaction (with `checks`, such as the admin
    still being one, first, and the admin's `audit` record), then adds a coupon reward's codes.

    Raises:
        ValidationFailedError: a coupon reward with `stock` (its pool is its stock), or codes on
            another kind.
    """
    _check_kind_and_stock(body.kind, body.stock, body.coupon_codes)
    stamp = iso(now)
    reward = Reward.model_validate(
        {
            **body.model_dump(exclude={"stock", "coupon_codes"}),
            "reward_id": new_id(),
            "stock_shards": shard_count(body.flash),
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    actions = [*checks, mall.store.new_reward_action(reward)]
    if audit is not None:
        before, after = reward_changes(None, reward, body.stock, body.coupon_codes)
        actions.append(audit.put(reward.reward_id, before=before, after=after))
    actions += mall.stock.create_actions(reward.reward_id, body.stock, reward.stock_shards)
    transact(mall.store.ddb, actions)
    if body.coupon_codes:
        mall.coupons.add_codes(reward.reward_id, clean_codes(body.coupon_codes), reward.stock_shards)
    logger.info("reward created", extra={"reward_id": reward.reward_id, "kind": reward.kind})
    return reward


def update_reward(
    mall: Mall,
    reward_id: str,
    body: RewardUpdate,
    now: datetime,
    checks: Sequence[TxAction] = (),
    audit: AuditOf | None = None,
) -> Reward:
    """Replaces the fields given (conditioned on the version read, with the admin's `audit` record
    in the same transaction), then sets the stock or adds codes.

    Raises:
        NotFoundError: no such reward.
        ValidationFailedError: as `create_reward`.
        RewardChangedError: another edit of the same reward came first (409, retry).
    """
    current = mall.store.reward(reward_id, consistent=True)
    if current is None:
        raise NotFoundError("no such reward")
    _check_kind_and_stock(current.kind, body.stock, body.coupon_codes or [])
    changes = body.model_dump(exclude_unset=True, exclude={"stock", "coupon_codes"})
    flash = changes.get("flash", current.flash)
    updated = Reward.model_validate(
        {
            **current.model_dump(),
            **changes,
            # More shards for a flash sale; never fewer (units in a dropped shard would be stranded).
            "stock_shards": max(current.stock_shards, shard_count(flash)),
            "updated_at": iso(now),
            "version": current.version + 1,
        }
    )
    if audit is not None:
        before, after = reward_changes(current, updated, body.stock, body.coupon_codes)
        checks = [*checks, audit.put(reward_id, before=before, after=after)]
    mall.store.put_reward(updated, current.version, checks)
    if body.stock is not None:
        mall.stock.set_stock(reward_id, body.stock, updated.stock_shards)
    elif updated.stock_shards > current.stock_shards:
        # Turned flash sale: spread what is left over the new shards, or every replan lands on the old.
        mall.stock.rebalance(reward_id, updated.stock_shards)
    if body.coupon_codes:
        mall.coupons.add_codes(reward_id, clean_codes(body.coupon_codes), updated.stock_shards)
    return updated


# What a reward's audit records (platform/audit.py): its terms, as stored.
AUDITED_REWARD_FIELDS = (
    "name",
    "description",
    "kind",
    "points",
    "cash_cents",
    "per_user_limit",
    "window",
    "tags",
    "image_url",
    "review",
    "flash",
    "listed",
)


def reward_changes(
    current: Reward | None, updated: Reward, stock: int | None, coupon_codes: Sequence[str] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A reward edit's before and after: the changed terms, the stock set (units left, after only:
    the units left before are spread over shards, not one field) and how many coupon codes were
    added (never the codes: they are what a buyer gets)."""
    old = current.model_dump(mode="json") if current is not None else {}
    before, after = changed_fields(old, updated.model_dump(mode="json"), AUDITED_REWARD_FIELDS)
    if stock is not None:
        after["stock"] = stock
    if coupon_codes:
        after["coupon_codes_added"] = len(clean_codes(list(coupon_codes)))
    return before, after


def _check_kind_and_stock(kind: str, stock: int | None, codes: list[str]) -> None:
    if kind == "coupon" and stock:
        raise ValidationFailedError(
            "a coupon reward's stock is its pool: add coupon_codes",
            errors=[{"loc": ["body", "stock"], "msg": "must be 0 for a coupon reward"}],
        )
    if kind != "coupon" and codes:
        raise ValidationFailedError(
            "only a coupon reward takes coupon codes",
            errors=[{"loc": ["body", "coupon_codes"], "msg": "only for kind coupon"}],
        )


def reward_or_404(mall: Mall, reward_id: str) -> Reward:
    reward = mall.store.reward(reward_id)
    if reward is None:
        raise NotFoundError("no such reward")
    return reward


# -- redemption ------------------------------------------------------------------------------------


def redeem(
    mall: Mall,
    user_id: str,
    key: str,
    request: RedemptionCreate,
    now: datetime,
    attempt: Attempt | None = None,
) -> tuple[Order, bool]:
    """Redeems once per (user, idempotency key); returns the order and whether this call made it.
    Counts what happened: `RedemptionsPlaced` and `PointsRedeemed`, or `RedemptionsRefused` by
    the API code of the refusal. The `attempt`'s risk counting rides in the redemption's
    transaction (a replay, which writes nothing, leaves it uncounted).

    Raises (nothing is written in each case):
        IdempotencyConflictError: the key was used with another body.
        NotFoundError: no such reward.
        NotOnSaleError: unlisted, or outside its sale window.
        ValidationFailedError: a physical reward without an address.
        AccountFrozenError, InsufficientPointsError, OutOfStockError, LimitReachedError.
        ConcurrencyError: every attempt lost its race (the client retries with the same key).
    """
    try:
        order, created = _redeem(mall, user_id, key, request, now, attempt)
    except EarnloopError as error:
        _count("RedemptionsRefused", 1, reason=error.code)
        raise
    if created:
        metrics.add_metric(name="RedemptionsPlaced", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="PointsRedeemed", unit=MetricUnit.Count, value=order.points)
    return order, created


def _count(name: str, value: int, **dimensions: str) -> None:
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=metrics.namespace,
        default_dimensions={"service": str(metrics.service)},
    ) as metric:
        for dimension, label in dimensions.items():
            metric.add_dimension(name=dimension, value=label)


def _redeem(
    mall: Mall, user_id: str, key: str, request: RedemptionCreate, now: datetime, attempt: Attempt | None
) -> tuple[Order, bool]:
    fingerprint = rules.request_fingerprint(request)
    replay = _replay(mall, user_id, key, fingerprint)
    if replay is not None:
        return replay, False
    reward = mall.reward_to_redeem(request.reward_id)
    if reward is None:
        raise NotFoundError("no such reward")
    period = rules.check_redeemable(reward, request, now)
    stamp = iso(now)
    order = Order(
        order_id=new_id(),
        user_id=user_id,
        reward_id=reward.reward_id,
        reward_name=reward.name,
        kind=reward.kind,
        tags=reward.tags,
        quantity=request.quantity,
        points=reward.points * request.quantity,
        cash_cents=reward.cash_cents * request.quantity,
        payment_status="pending" if reward.cash_cents else None,
        status=rules.initial_status(reward),
        # Only a physical reward keeps an address: nothing else ships.
        address=request.address if reward.kind == "physical" else None,
        idempotency_key=key,
        spend_txn_id=spending.redeem_txn_id(key),
        stock_shards=reward.stock_shards,
        limit_period=period if reward.per_user_limit is not None else None,
        created_at=stamp,
        updated_at=stamp,
    )
    command = SpendCommand(
        txn_id=order.spend_txn_id,
        user_id=user_id,
        points=order.points,
        reason="redeem",
        actor=user_id,
        reference=order.order_id,
    )

    def commit(allocation: Allocation) -> Order:
        placed = order.model_copy(
            update={
                "stock_parts": [[shard, units] for shard, units in sorted(allocation.parts.items())],
                "coupon_codes": list(allocation.codes),
            }
        )
        # The account is read again on every try: a stale version is the common lost race.
        leg = spending.spend_actions(mall.points, command, now)
        actions: list[TxAction] = [mall.store.idempotency_action(placed, fingerprint)]
        actions += [*(attempt.actions() if attempt else ()), *leg.actions]
        actions += allocation.actions
        if placed.limit_period is not None and reward.per_user_limit is not None:
            actions.append(mall.store.limit_take_action(placed, reward.per_user_limit))
        actions.append(mall.store.new_order_action(placed))
        # The buyer's note is confirmed back, or the order's event is published again (mall/outbox.py).
        actions.append(order_noted_marker(mall.store.table, placed))
        try:
            transact(mall.store.ddb, actions)
        except StaleAccountError as error:
            # Another write moved the account: for the allocation this is just another conflict.
            raise TransactionConflictError() from error
        if attempt:
            attempt.counted()
        return placed

    for tried in range(_ROUNDS):
        try:
            placed = allocate_and_commit(
                mall.stock,
                mall.coupons if reward.kind == "coupon" else None,
                reward_id=reward.reward_id,
                quantity=request.quantity,
                shards=reward.stock_shards,
                order_id=order.order_id,
                commit=commit,
            )
        except (IdempotencyKeyTakenError, AlreadyAppliedError):
            # A concurrent request with the same key committed first: answer as it did.
            replay = _replay(mall, user_id, key, fingerprint)
            if replay is None:  # pragma: no cover - the record commits with the entry
                raise ConcurrencyError("please retry") from None
            return replay, False
        except ConcurrencyError:
            if tried + 1 < _ROUNDS:
                mall.pause(tried)
            continue
        except EarnloopError:
            # A request repeated while its first copy committed answers as the first did, whatever
            # the account or the stock say now.
            replay = _replay(mall, user_id, key, fingerprint)
            if replay is not None:
                return replay, False
            raise
        logger.info(
            "redemption placed",
            extra={
                "order_id": placed.order_id,
                "reward_id": placed.reward_id,
                "quantity": placed.quantity,
                "points": placed.points,
                "status": placed.status,
                "address": placed.address.masked() if placed.address else None,
            },
        )
        return placed, True
    raise ConcurrencyError("the mall is busy, please retry")


def _replay(mall: Mall, user_id: str, key: str, fingerprint: str) -> Order | None:
    """The order an earlier request with this key made, or None when the key is new.

    Raises:
        IdempotencyConflictError: the earlier request had another body.
    """
    record = mall.store.idempotency(user_id, key)
    if record is None:
        return None
    seen, order_id = record
    if seen != fingerprint:
        raise IdempotencyConflictError("this Idempotency-Key was used with another request body")
    order = mall.store.order(order_id)
    if order is None:  # pragma: no cover - written in the same transaction
        raise ConcurrencyError("please retry")
    return order


# -- orders ----------------------------------------------------------------------------------------


def order_of(mall: Mall, user_id: str, order_id: str) -> Order:
    """The user's order; another user's is as absent as one that does not exist (404)."""
    order = mall.store.order(order_id, consistent=False)
    if order is None or order.user_id != user_id:
        raise NotFoundError("no such order")
    return order


def approve(
    mall: Mall,
    order_id: str,
    admin_id: str,
    reason: str | None,
    now: datetime,
    checks: Sequence[TxAction] = (),
    audit: AuditOf | None = None,
) -> Order:
    """pending_review -> confirmed (physical, or cash still to pay) or fulfilled, with the admin's
    `audit` record in the same transaction. Repeating an approval answers with the order as it is
    (and records nothing).

    Raises:
        NotFoundError: no such order.
        InvalidStateError: the order was cancelled.
    """
    for _ in range(MAX_ATTEMPTS):
        order = _order_or_404(mall, order_id)
        if order.status not in rules.APPROVABLE:
            if order.status == CANCELLED:
                raise InvalidStateError("the order was cancelled")
            return order
        moved = _moved(order, rules.approved_status(order.kind, order.cash_cents), reason, now)
        try:
            record = [] if audit is None else [order_audit(audit, order, moved)]
            transact(mall.store.ddb, [*checks, mall.store.transition_action(order, moved), *record])
        except OrderMovedError:
            continue
        logger.info("order approved", extra={"order_id": order_id, "admin": admin_id, "status": moved.status})
        return moved
    raise ConcurrencyError("the order is busy, please retry")


def cancel_with_refund(
    mall: Mall,
    order_id: str,
    actor: str,
    reason: str | None,
    now: datetime,
    checks: Sequence[TxAction] = (),
    audit: AuditOf | None = None,
) -> Order:
    """-> cancelled (with an admin's `audit` record when an admin cancels), with the points back
    in the buckets they came from (`refund#<order>`), the
    stock back in its shards, the limit count back, and an unrevealed coupon code back in its pool:
    all in one transaction conditioned on the order's status, so it happens exactly once.
    Repeating it answers with the cancelled order.

    Raises:
        NotFoundError: no such order.
        InvalidStateError: the order is fulfilled.
        AccountFrozenError: the buyer's account is frozen (a refund credits; unfreeze first).
        ConcurrencyError: every attempt lost its race.
    """
    for attempt in range(MAX_ATTEMPTS):
        order = _order_or_404(mall, order_id)
        if order.status == CANCELLED:
            return order
        if order.status not in rules.REFUNDABLE:
            raise InvalidStateError(f"a {order.status} order cannot be cancelled")
        moved = _moved(order, CANCELLED, reason, now)
        leg = spending.refund_actions(
            mall.points,
            order.user_id,
            order.spend_txn_id,
            reference=order.order_id,
            reason="refund",
            actor=actor,
            now=now,
        )
        actions = [*checks, mall.store.transition_action(order, moved), *leg.actions]
        if audit is not None:
            actions.append(order_audit(audit, order, moved, refunded=order.points))
        if order.coupon_codes:
            actions += mall.coupons.refund_actions(
                order.reward_id,
                order.order_id,
                order.coupon_codes,
                order.stock_parts,
                order.stock_shards,
                revealed=False,
            )
        else:
            actions += mall.stock.return_actions(order.reward_id, order.stock_parts, order.stock_shards)
        if order.limit_period is not None:
            actions.append(mall.store.limit_return_action(order))
        try:
            transact(mall.store.ddb, actions)
        except (OrderMovedError, StaleAccountError, TransactionConflictError, AlreadyAppliedError):
            # Moved on, or another writer touched the account: read both again.
            if attempt + 1 < MAX_ATTEMPTS:
                mall.pause(attempt)
            continue
        metrics.add_metric(name="RedemptionsRefunded", unit=MetricUnit.Count, value=1)
        logger.info(
            "order cancelled and refunded",
            extra={"order_id": order_id, "actor": actor, "points": order.points, "from": order.status},
        )
        return moved
    raise ConcurrencyError("the order is busy, please retry")


def order_audit(audit: AuditOf, order: Order, moved: Order, refunded: int | None = None) -> TxAction:
    """An admin's decision on an order: its status before and after (never the buyer's address),
    referring to the ledger entry it wrote (the refund) or else the order's spend."""
    after: dict[str, Any] = {"status": moved.status}
    reference = order.spend_txn_id
    if refunded is not None:
        after["points_refunded"] = refunded
        reference = spending.refund_txn_id(order.order_id)
    return audit.put(order.order_id, before={"status": order.status}, after=after, reference=reference)


def _order_or_404(mall: Mall, order_id: str) -> Order:
    order = mall.store.order(order_id, consistent=True)
    if order is None:
        raise NotFoundError("no such order")
    return order


def _moved(order: Order, status: OrderStatus, reason: str | None, now: datetime) -> Order:
    return order.model_copy(update={"status": status, "status_reason": reason, "updated_at": iso(now)})
