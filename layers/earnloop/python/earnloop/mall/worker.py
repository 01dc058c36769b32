"""The mall worker (queue `mall`): confirms the outbox markers of orders whose effect arrived."""

from __future__ import annotations

from earnloop.mall.outbox import RedemptionNoted, order_noted
from earnloop.platform.workers import queue_worker

lambda_handler = queue_worker({RedemptionNoted.detail_type: (RedemptionNoted, order_noted)})
