"""Shapes of the mall: rewards and their sale windows, orders, addresses, and what the routes return."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

from earnloop.identity.avatars import check_avatar_url, is_allowed_host
from earnloop.platform.settings import get_settings

RewardKind = Literal["physical", "virtual", "coupon"]
OrderStatus = Literal["pending_review", "confirmed", "fulfilled", "cancelled"]
PaymentStatus = Literal["pending", "paid"]
PENDING_REVIEW: OrderStatus = "pending_review"
CONFIRMED: OrderStatus = "confirmed"
FULFILLED: OrderStatus = "fulfilled"
CANCELLED: OrderStatus = "cancelled"

MAX_QUANTITY = 10


def _image_url(value: str) -> str:
    """Every client loads a reward's image, so it is shaped like an avatar (https, a DNS host name on
    the default port, no address, no userinfo) and, where the stage has a media domain, on it."""
    check_avatar_url(value)
    media_host = get_settings().media_host
    if media_host and not is_allowed_host(value, {media_host.lower()}):
        raise ValueError("must be on the media domain")
    return value


# The pattern documents the shape in the OpenAPI document; the validator decides.
ImageUrl = Annotated[StrictStr, Field(max_length=500, pattern=r"^https://\S+$"), AfterValidator(_image_url)]
ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
# Idempotency keys: what clients generate (UUIDs, ULIDs), nothing that could break a key or a log.
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError("a time needs its offset (Z or +08:00)")
    return moment


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Tag = Annotated[StrictStr, Field(min_length=1, max_length=32)]


class RecurringWindow(BaseModel):
    """A sale that opens every month: on `day` at `at` (Asia/Shanghai) for `minutes` minutes
    ("the 1st of each month at 10:00 for two hours": day=1, at=10:00, minutes=120)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: StrictInt = Field(ge=1, le=28)
    at: time
    minutes: StrictInt = Field(ge=1, le=27 * 24 * 60)


class SaleWindow(BaseModel):
    """When a reward can be redeemed: from `starts_at` (inclusive) until `ends_at` (exclusive), either
    open, and, with `recurring`, only during its monthly openings inside that period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    recurring: RecurringWindow | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SaleWindow:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


_PHONE = re.compile(r"^(\+86)?1[3-9]\d{9}$")


class Address(BaseModel):
    """A mainland China delivery address. Logged only through `masked()`."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: StrictStr = Field(min_length=1, max_length=30)
    phone: StrictStr = Field(pattern=_PHONE.pattern)
    region: StrictStr = Field(min_length=2, max_length=100, description="province, city, district")
    detail: StrictStr = Field(min_length=2, max_length=200)

    def masked(self) -> dict[str, str]:
        """What a log may show: the name's first character, the phone's first 3 and last 4 digits,
        the region, never the street address."""
        digits = self.phone.removeprefix("+86")
        return {
            "name": self.name[:1] + "*" * max(1, len(self.name) - 1),
            "phone": f"{digits[:3]}****{digits[-4:]}",
            "region": self.region,
            "detail": "***",
        }

    def __repr__(self) -> str:  # never the full address in a traceback or a stray log
        return f"Address({self.masked()})"

    __str__ = __repr__


class RewardCreate(BaseModel):
    """`POST /v1/admin/rewards`."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(min_length=1, max_length=60)
    description: StrictStr | None = Field(default=None, max_length=1000)
    kind: RewardKind
    points: StrictInt = Field(ge=1, le=10_000_000)
    # Points + cash: the cash part, in fen, paid through WeChat Pay (docs/decisions.md, 2026-12-02).
    cash_cents: StrictInt = Field(default=0, ge=0, le=10_000_000)
    stock: StrictInt = Field(ge=0, le=10_000_000)
    # None: no limit per user.
    per_user_limit: StrictInt | None = Field(default=None, ge=1, le=1000)
    window: SaleWindow = Field(default_factory=SaleWindow)
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    image_url: ImageUrl | None = None
    # High-value rewards: each order waits for an admin (pending_review).
    review: StrictBool = False
    # Opens to a crowd at one instant: its stock is spread over more shards.
    flash: StrictBool = False
    # Unlisted rewards are hidden from `GET /v1/rewards` and cannot be redeemed.
    listed: StrictBool = True
    # A coupon reward's stock is its pool: these codes (more through PUT), and `stock` must be 0.
    coupon_codes: list[StrictStr] = Field(default_factory=list, max_length=1000)


class RewardUpdate(BaseModel):
    """`PUT /v1/admin/rewards/{reward_id}`: the fields given replace the stored ones; `stock` sets
    the units left to sell."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr | None = Field(default=None, min_length=1, max_length=60)
    description: StrictStr | None = Field(default=None, max_length=1000)
    points: StrictInt | None = Field(default=None, ge=1, le=10_000_000)
    cash_cents: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    stock: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    per_user_limit: StrictInt | None = Field(default=None, ge=1, le=1000)
    window: SaleWindow | None = None
    tags: list[Tag] | None = Field(default=None, max_length=10)
    image_url: ImageUrl | None = None
    review: StrictBool | None = None
    flash: StrictBool | None = None
    listed: StrictBool | None = None
    # Codes added to a coupon reward's pool (each one unit of its stock).
    coupon_codes: list[StrictStr] | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _null_only_where_optional(self) -> RewardUpdate:
        # `null` clears an optional field; a required one cannot be cleared.
        cleared = {name for name in self.model_fields_set if getattr(self, name) is None}
        if cleared - {"description", "per_user_limit", "image_url"}:
            raise ValueError(f"cannot be null: {', '.join(sorted(cleared))}")
        return self


class Reward(BaseModel):
    """A reward as stored (`REWARD#<id>` / `REWARD`)."""

    model_config = ConfigDict(frozen=True)

    reward_id: str
    name: str
    description: str | None = None
    kind: RewardKind
    points: int
    cash_cents: int = 0
    per_user_limit: int | None = None
    window: SaleWindow = Field(default_factory=SaleWindow)
    tags: list[str] = Field(default_factory=list)
    image_url: str | None = None
    review: bool = False
    flash: bool = False
    listed: bool = True
    # How many stock shards hold its units (`stock_rules.shard_count`); grows, never shrinks.
    stock_shards: int = 1
    created_at: str
    updated_at: str
    version: int = 1


class SaleState(BaseModel):
    """Whether a reward can be redeemed now, and when its current or next opening starts and ends."""

    open: bool
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class RewardPublic(BaseModel):
    """An item of `GET /v1/rewards` and `GET /v1/rewards/{reward_id}` (API.md, fields grown)."""

    reward_id: str
    name: str
    description: str | None = None
    kind: RewardKind
    points: int
    cash_cents: int | None = None
    stock_left: int
    per_user_limit: int | None = None
    image_url: str | None = None
    tags: list[str]
    review: bool
    flash: bool
    sale: SaleState
    # True when the caller's points expiring soon would pay for it: "use them before they go".
    uses_expiring_points: bool | None = None


class ExpiringSoon(BaseModel):
    points: int
    # The earliest last valid day among those points.
    date: date


class RewardPage(BaseModel):
    items: list[RewardPublic]
    next_cursor: str | None = None
    # The caller's points that expire within 30 days (absent when none).
    expiring_soon: ExpiringSoon | None = None


class RewardAdmin(RewardPublic):
    """What the admin routes return: the reward with its whole configuration."""

    window: SaleWindow
    listed: bool
    version: int
    created_at: str
    updated_at: str


class RedemptionCreate(BaseModel):
    """`POST /v1/redemptions`."""

    model_config = ConfigDict(extra="forbid")

    reward_id: StrictStr = Field(pattern=ULID_PATTERN)
    quantity: StrictInt = Field(default=1, ge=1, le=MAX_QUANTITY)
    address: Address | None = None


class Order(BaseModel):
    """An order as stored (`ORDER#<id>` / `ORDER`)."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    user_id: str
    reward_id: str
    reward_name: str
    kind: RewardKind
    tags: list[str] = Field(default_factory=list)
    quantity: int
    points: int
    cash_cents: int = 0
    payment_status: PaymentStatus | None = None
    status: OrderStatus
    address: Address | None = None
    # Set when the buyer deleted their account and the address was blanked (mall/account_erasure.py).
    address_erased_at: str | None = None
    coupon_codes: list[str] = Field(default_factory=list)
    idempotency_key: str
    # The ledger entry of the spend; a refund reads the buckets it took from there.
    spend_txn_id: str
    # Where the stock came from, `[[shard, units], ...]`, so a refund puts it back there.
    stock_parts: list[list[int]] = Field(default_factory=list)
    stock_shards: int = 1
    # The per-user limit counter this order counted against (None: the reward has no limit).
    limit_period: str | None = None
    created_at: str
    updated_at: str
    status_reason: str | None = None


class OrderPublic(BaseModel):
    """`POST /v1/redemptions` and the caller's orders."""

    order_id: str
    reward_id: str
    reward_name: str
    kind: RewardKind
    quantity: int
    status: OrderStatus
    points: int
    cash_cents: int | None = None
    payment_status: PaymentStatus | None = None
    # A coupon order's code(s), shown once the order is fulfilled (never while it waits for review).
    coupon_code: str | None = None
    coupon_codes: list[str] | None = None
    address: Address | None = None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, order: Order) -> OrderPublic:
        return cls.model_validate(_public_fields(order))


class OrderAdmin(OrderPublic):
    user_id: str
    status_reason: str | None = None

    @classmethod
    def of(cls, order: Order) -> OrderAdmin:
        return cls.model_validate(_public_fields(order))


def _public_fields(order: Order) -> dict[str, object]:
    fields = order.model_dump(exclude={"coupon_codes"})
    fields["cash_cents"] = order.cash_cents or None
    if order.coupon_codes and order.status == FULFILLED:
        fields["coupon_code"] = order.coupon_codes[0]
        fields["coupon_codes"] = list(order.coupon_codes)
    return fields


class OrderPage(BaseModel):
    items: list[OrderPublic]
    next_cursor: str | None = None


class OrderAdminPage(BaseModel):
    items: list[OrderAdmin]
    next_cursor: str | None = None


class ReviewDecision(BaseModel):
    """Body of approve/reject (optional)."""

    model_config = ConfigDict(extra="forbid")

    reason: StrictStr | None = Field(default=None, min_length=1, max_length=200)
