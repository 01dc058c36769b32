"""Schedule (02:30 Asia/Shanghai) -> one reconciliation piece per shard of yesterday's changed accounts."""

from earnloop.points.reconcile_jobs import plan_handler as lambda_handler

__all__ = ["lambda_handler"]
