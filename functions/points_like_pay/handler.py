"""Schedule (every minute) -> authors paid the likes each closed minute brought them."""

from earnloop.points.like_pay import lambda_handler

__all__ = ["lambda_handler"]
