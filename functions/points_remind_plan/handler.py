"""Schedule (10:00 Asia/Shanghai) -> one reminder piece per (index date, shard) on the expiry queue."""

from earnloop.points.reminder_plan import lambda_handler

__all__ = ["lambda_handler"]
