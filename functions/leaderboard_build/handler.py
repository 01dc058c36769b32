"""Schedule (every minute) -> the monthly and all-time leaderboards, each one item."""

from earnloop.stats.board_job import lambda_handler

__all__ = ["lambda_handler"]
