"""The mall worker (queue `mall`): confirms the outbox markers of orders whose effect arrived, and
blanks a deleted buyer's addresses."""

from __future__ import annotations

from earnloop.mall.account_erasure import UserDeleted, blank_addresses
from earnloop.mall.outbox import RedemptionNoted, order_noted
from earnloop.platform.workers import queue_worker

lambda_handler = queue_worker(
    {
        RedemptionNoted.detail_type: (RedemptionNoted, order_noted),
        # A deleted buyer's addresses are blanked (mall/account_erasure.py).
        UserDeleted.detail_type: (UserDeleted, blank_addresses),
    }
)
