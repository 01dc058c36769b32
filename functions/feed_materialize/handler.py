"""Feed queue -> posts published, hidden and commented materialized into feeds; scans into interests."""

from earnloop.content.feed_worker import lambda_handler

__all__ = ["lambda_handler"]
