"""The mall context: rewards, sharded stock, coupon pools, orders and per-user limits."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, http, key, table, worker
from earnloop.platform.context import Context
from earnloop.platform.outbox_sweep import outbox_index
from earnloop.platform.resources import Index, Key, Queue, Rule, Table

CONTEXT = Context(
    name="mall",
    router="earnloop.mall.api:router",
    derive="earnloop.mall.events:derive",
    table=Table(
        name="mall",
        gsis=(
            # Listed rewards, ending soonest first (sparse: only listed ones carry `cat_pk`).
            Index("catalog", Key("cat_pk"), Key("cat_sk")),
            # A buyer's orders, newest first.
            Index("by_user", Key("user_pk"), Key("user_sk")),
            # Orders waiting for an admin (sparse: only pending_review ones carry `status_pk`).
            Index("by_status", Key("status_pk"), Key("status_sk")),
            # A coupon reward's available codes, spread over slots (mall/coupons.py).
            Index("coupons_free", Key("cpn_pk"), Key("cpn_sk"), projection="KEYS_ONLY"),
            # Orders whose buyer has not been told yet, by when they are due for the outbox sweep
            # (sparse; mall/outbox.py).
            outbox_index(),
        ),
    ),
    # The buyer's note of an order arrived: its outbox marker is confirmed.
    queues=(Queue(name="mall", consumer="mall_worker"),),
    rules=(
        Rule("redemption-noted-to-mall", "earnloop.identity", ("RedemptionNoted",), queue="mall"),
        Rule("user-deleted-to-mall", "earnloop.identity", ("UserDeleted",), queue="mall"),
    ),
    functions=(
        # Identity, read-only in every admin command: a ConditionCheck that the admin still is one.
        http(
            "rewards_create",
            table("mall", "readwrite"),
            table("identity"),
            key("session"),
            description="Creates a reward",
        ),
        http(
            "rewards_update",
            table("mall", "readwrite"),
            table("identity"),
            key("session"),
            description="Edits a reward",
        ),
        # Identity and points, read-only: the caller's tags (for_you) and expiring points (hints).
        http(
            "rewards_list",
            table("mall", indexes=("catalog",)),
            table("identity"),
            table("points"),
            key("session"),
            description="Rewards on sale now",
        ),
        http("rewards_get", table("mall"), key("session"), description="A reward"),
        # The one transaction across two contexts: the points spend with the stock and the order.
        http(
            "redemptions_create",
            table("mall", "readwrite", indexes=("coupons_free",)),
            table("points", "readwrite"),
            key("session"),
            description="Redeems a reward",
            timeout_s=15,
        ),
        http(
            "redemptions_list", table("mall", indexes=("by_user",)), key("session"), description="My orders"
        ),
        http("redemptions_get", table("mall"), key("session"), description="One of my orders"),
        http(
            "admin_redemptions_list",
            table("mall", indexes=("by_status",)),
            key("session"),
            description="Orders waiting for review",
        ),
        http(
            "admin_redemptions_approve",
            table("mall", "readwrite"),
            table("identity"),
            key("session"),
            description="Approves a reviewed order",
        ),
        # The refund: points back into their buckets, stock and limit back, with the order's status.
        http(
            "admin_redemptions_reject",
            table("mall", "readwrite"),
            table("points", "readwrite"),
            table("identity"),
            key("session"),
            description="Rejects an order and refunds it",
            timeout_s=15,
        ),
        worker(
            "mall_worker",
            "mall",
            table("mall", "readwrite", indexes=("by_user",)),
            description="Confirms orders' notes; blanks a deleted buyer's addresses",
        ),
        FunctionSpec(
            "mall_outbox_sweep",
            "schedule",
            (table("mall", "readwrite", indexes=("outbox_due",)),),
            description="Republishes RedemptionPlaced of orders whose buyer was not told",
            schedule="rate(15 minutes)",
            timeout_s=60,
        ),
    ),
)
