"""Schedule (every 5 minutes) -> the recent posts re-ranked into the materialized hot set."""

from earnloop.content.feed_schedule import lambda_handler

__all__ = ["lambda_handler"]
