"""Queue points: credits claimed scans and releases earns held while an account was frozen."""

from earnloop.points.worker import lambda_handler

__all__ = ["lambda_handler"]
