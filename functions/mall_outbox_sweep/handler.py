"""Schedule (every 15 minutes) -> republishes RedemptionPlaced of orders whose buyer was not told."""

from earnloop.mall.outbox import lambda_handler

__all__ = ["lambda_handler"]
