"""Queue mall: confirms orders whose buyer's inbox note arrived."""

from earnloop.mall.worker import lambda_handler

__all__ = ["lambda_handler"]
