"""Schedule (every 15 minutes) -> accepted claims still not credited get their ScanClaimed again."""

from earnloop.codes.schedule import lambda_handler

__all__ = ["lambda_handler"]
