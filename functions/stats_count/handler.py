"""Queue stats: counts points, scans, posts and likes into the daily statistics and the leaderboard."""

from earnloop.stats.worker import lambda_handler

__all__ = ["lambda_handler"]
