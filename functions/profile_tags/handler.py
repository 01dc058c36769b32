"""Tags queue -> product tags counted on the scanner's profile."""

from earnloop.identity.worker import lambda_handler

__all__ = ["lambda_handler"]
