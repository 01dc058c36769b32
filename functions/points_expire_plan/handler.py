"""Schedule (00:10 Asia/Shanghai) -> one expiry piece per (index date, shard) on the expiry queue."""

from earnloop.points.expiry_plan import lambda_handler

__all__ = ["lambda_handler"]
