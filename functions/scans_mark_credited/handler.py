"""Claims queue (PointsChanged of scan#... entries) -> claims marked credited."""

from earnloop.codes.worker import lambda_handler

__all__ = ["lambda_handler"]
