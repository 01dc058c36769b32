"""Queue expiry: expires the accounts of one piece; resumes the rest in a new message if time runs short."""

from earnloop.points.expiry_worker import lambda_handler

__all__ = ["lambda_handler"]
