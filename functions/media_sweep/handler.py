"""Schedule (every 15 minutes) -> abandoned uploads rejected, overdue WeChat checks sent to review."""

from earnloop.content.media_sweep import lambda_handler

__all__ = ["lambda_handler"]
