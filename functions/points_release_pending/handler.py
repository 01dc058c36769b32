"""Schedule (every 15 minutes) -> pending earns whose delay has passed are credited, once."""

from earnloop.points.pending_release import lambda_handler

__all__ = ["lambda_handler"]
