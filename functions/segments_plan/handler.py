"""Schedule (03:00 Asia/Shanghai) -> one segment piece per crossing (index date, segment, shard)."""

from earnloop.identity.segments_plan import lambda_handler

__all__ = ["lambda_handler"]
