"""HTTP routes of the mall: the catalog, redemptions and the admin's review of orders."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response

from earnloop.identity.store import IdentityStore, live_admin_check
from earnloop.mall import rules, service
from earnloop.mall.models import (
    IDEMPOTENCY_KEY_PATTERN,
    ULID_PATTERN,
    ExpiringSoon,
    OrderAdmin,
    OrderAdminPage,
    OrderPage,
    OrderPublic,
    RedemptionCreate,
    ReviewDecision,
    Reward,
    RewardAdmin,
    RewardCreate,
    RewardPage,
    RewardPublic,
    RewardUpdate,
)
from earnloop.mall.service import Mall
from earnloop.mall.store import MallStore
from earnloop.platform import aws
from earnloop.platform.audit import admin_audit
from earnloop.platform.auth import AdminUser, CurrentUser, Principal
from earnloop.platform.body_limits import max_body
from earnloop.platform.clock import business_day, iso, utcnow
from earnloop.platform.errors import NotFoundError
from earnloop.platform.settings import get_settings
from earnloop.platform.ttl_cache import TtlCache
from earnloop.points.rules import EXPIRING_SOON_DAYS, expiring_within
from earnloop.points.store import PointsStore
from earnloop.risk.attempts import CallerDep, Limiter, Limits

if TYPE_CHECKING:
    from earnloop.platform.dynamo import TxAction

router = APIRouter(tags=["mall"])


# A flash-sale reward edited by an admin reaches a container's redemptions within this many seconds
# (other rewards at once). Safe to be that stale: stock, limits, points and coupons are conditions
# of the redemption's transaction, and a reward's shard count only grows (a stale count takes from
# fewer shards, never a wrong one).
REWARD_TTL_S = 5.0
# A reward body may carry its pool: up to 1,000 coupon codes.
COUPON_POOL_BODY_BYTES = 256 * 1024


@lru_cache(maxsize=1)
def reward_cache() -> TtlCache[Reward]:
    return TtlCache(REWARD_TTL_S)


def mall() -> Mall:
    # Cheap to build: the client and settings underneath are cached per container.
    return Mall.build(MallStore.default(), PointsStore.default(), reward_cache())


def mall_limiter() -> Limiter:
    # The redemption's risk counters live in the mall table: its own transaction counts the attempt.
    return Limiter(aws.dynamodb(), get_settings().table_name("mall"))


MallDep = Annotated[Mall, Depends(mall)]
MallLimiter = Annotated[Limiter, Depends(mall_limiter)]
RewardId = Annotated[str, Path(pattern=ULID_PATTERN)]
OrderId = Annotated[str, Path(pattern=ULID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=1024)]


def still_admin(admin: Principal) -> list[TxAction]:
    """A ConditionCheck, in the admin command's own transaction, that its author still is an admin
    (a token outlives a demotion): 401 if the user is gone, 403 if no longer an admin."""
    return [live_admin_check(get_settings().table_name("identity"), admin.user_id)]


def _public(reward: Reward, stock_left: int, expiring: int | None = None) -> RewardPublic:
    return RewardPublic(
        **reward.model_dump(exclude={"cash_cents", "window"}),
        cash_cents=reward.cash_cents or None,
        stock_left=stock_left,
        sale=rules.sale_state(reward.window, utcnow()),
        uses_expiring_points=(reward.points <= expiring) if expiring else None,
    )


def _admin(mall: Mall, reward: Reward) -> RewardAdmin:
    left = mall.stock_left([reward])[reward.reward_id]
    return RewardAdmin(
        **_public(reward, left).model_dump(),
        **reward.model_dump(include={"window", "listed", "version", "created_at", "updated_at"}),
    )


@router.post(
    "/v1/admin/rewards",
    name="rewards_create",
    openapi_extra=max_body(COUPON_POOL_BODY_BYTES),
    status_code=201,
    response_model=RewardAdmin,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Create a reward (its stock, or for a coupon reward its pool of codes)",
)
def rewards_create(body: RewardCreate, admin: AdminUser, mall: MallDep) -> RewardAdmin:
    now = utcnow()
    audit = admin_audit("mall", admin.user_id, "reward.create", "reward created", now)
    return _admin(mall, service.create_reward(mall, body, now, still_admin(admin), audit))


@router.put(
    "/v1/admin/rewards/{reward_id}",
    name="rewards_update",
    openapi_extra=max_body(COUPON_POOL_BODY_BYTES),
    response_model=RewardAdmin,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Edit a reward: price, window, review flag, ...; `stock` sets the units left to sell",
)
def rewards_update(reward_id: RewardId, body: RewardUpdate, admin: AdminUser, mall: MallDep) -> RewardAdmin:
    now = utcnow()
    audit = admin_audit("mall", admin.user_id, "reward.update", "reward edited", now)
    return _admin(mall, service.update_reward(mall, reward_id, body, now, still_admin(admin), audit))


@router.get(
    "/v1/rewards",
    name="rewards_list",
    response_model=RewardPage,
    response_model_exclude_none=True,
    summary="Rewards on sale now, ending soonest first; for_you=true orders each page by your tags",
)
def rewards_list(
    user: CurrentUser,
    mall: MallDep,
    for_you: bool = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> RewardPage:
    now = utcnow()
    rewards, next_cursor = mall.store.listed_rewards(iso(now), limit, cursor)
    if for_you:
        # The identity context's tag counts of the caller (one Query on their partition).
        identity = IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))
        counts = {t.tag: t.count for t in identity.tags(user.user_id)}
        rewards = rules.rank_for_you(rewards, counts)
    # The points context's account item (one GetItem): what expires within 30 days.
    account = mall.points.account(user.user_id, consistent=False)
    today = business_day(now)
    expiring = expiring_within(account.buckets, today, EXPIRING_SOON_DAYS)
    soonest = min((d for d, p in account.buckets.items() if p > 0), default=None)
    left = mall.stock_left(rewards) if rewards else {}
    return RewardPage(
        items=[_public(r, left[r.reward_id], expiring) for r in rewards],
        next_cursor=next_cursor,
        expiring_soon=ExpiringSoon(points=expiring, date=soonest) if expiring and soonest else None,
    )


@router.get(
    "/v1/rewards/{reward_id}",
    name="rewards_get",
    response_model=RewardPublic,
    response_model_exclude_none=True,
    summary="A reward (also when its sale is not open: `sale` says when it opens)",
)
def rewards_get(reward_id: RewardId, user: CurrentUser, mall: MallDep) -> RewardPublic:
    reward = service.reward_or_404(mall, reward_id)
    if not reward.listed:
        raise NotFoundError("no such reward")
    return _public(reward, mall.stock_left([reward])[reward.reward_id])


@router.post(
    "/v1/redemptions",
    name="redemptions_create",
    status_code=201,
    response_model=OrderPublic,
    response_model_exclude_none=True,
    responses={200: {"model": OrderPublic, "description": "The order this Idempotency-Key made before"}},
    summary="Redeem a reward: points, stock and the order in one transaction",
)
def redemptions_create(
    body: RedemptionCreate,
    user: CurrentUser,
    mall: MallDep,
    response: Response,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN)],
    limiter: MallLimiter,
    who: CallerDep,
) -> OrderPublic:
    # Every request is an attempt of `redeem`: a refused one (too few points, out of stock) and a
    # replay of its key too; an accepted one is counted in the redemption's own transaction.
    now, settings = utcnow(), get_settings()
    limits = Limits(
        settings.redemptions_per_hour,
        settings.redemptions_per_hour_per_device,
        settings.redemptions_per_hour_per_ip,
    )
    with limiter.attempt("redeem", user.user_id, who, limits, now) as attempt:
        order, created = service.redeem(mall, user.user_id, idempotency_key, body, now, attempt)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/redemptions/{order.order_id}"
    return OrderPublic.of(order)


@router.get(
    "/v1/redemptions",
    name="redemptions_list",
    response_model=OrderPage,
    response_model_exclude_none=True,
    summary="Your orders, newest first",
)
def redemptions_list(user: CurrentUser, mall: MallDep, limit: Limit = 20, cursor: Cursor = None) -> OrderPage:
    orders, next_cursor = mall.store.orders_of(user.user_id, limit, cursor)
    return OrderPage(items=[OrderPublic.of(o) for o in orders], next_cursor=next_cursor)


@router.get(
    "/v1/redemptions/{order_id}",
    name="redemptions_get",
    response_model=OrderPublic,
    response_model_exclude_none=True,
    summary="One of your orders (another user's is 404)",
)
def redemptions_get(order_id: OrderId, user: CurrentUser, mall: MallDep) -> OrderPublic:
    return OrderPublic.of(service.order_of(mall, user.user_id, order_id))


@router.get(
    "/v1/admin/redemptions",
    name="admin_redemptions_list",
    response_model=OrderAdminPage,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Orders waiting for review, newest first",
)
def admin_redemptions_list(
    admin: AdminUser,
    mall: MallDep,
    status: Literal["pending_review"] = "pending_review",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> OrderAdminPage:
    orders, next_cursor = mall.store.orders_in(status, limit, cursor)
    return OrderAdminPage(items=[OrderAdmin.of(o) for o in orders], next_cursor=next_cursor)


@router.post(
    "/v1/admin/redemptions/{order_id}/approve",
    name="admin_redemptions_approve",
    response_model=OrderAdmin,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Approve an order waiting for review",
)
def admin_redemptions_approve(
    order_id: OrderId,
    admin: AdminUser,
    mall: MallDep,
    body: Annotated[ReviewDecision | None, Body()] = None,
) -> OrderAdmin:
    reason, now = body.reason if body else None, utcnow()
    audit = admin_audit("mall", admin.user_id, "redemption.approve", reason or "approved", now)
    order = service.approve(mall, order_id, admin.user_id, reason, now, still_admin(admin), audit)
    return OrderAdmin.of(order)


@router.post(
    "/v1/admin/redemptions/{order_id}/reject",
    name="admin_redemptions_reject",
    response_model=OrderAdmin,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Reject an order: points back into their original buckets, stock and limit back, once",
)
def admin_redemptions_reject(
    order_id: OrderId,
    admin: AdminUser,
    mall: MallDep,
    body: Annotated[ReviewDecision | None, Body()] = None,
) -> OrderAdmin:
    reason, now = body.reason if body else None, utcnow()
    audit = admin_audit("mall", admin.user_id, "redemption.reject", reason or "rejected", now)
    order = service.cancel_with_refund(
        mall, order_id, f"admin:{admin.user_id}", reason, now, still_admin(admin), audit
    )
    return OrderAdmin.of(order)
