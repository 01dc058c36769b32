"""Queue segments: moves the users of one piece; resumes the rest in a new message if time runs short."""

from earnloop.identity.segments_worker import lambda_handler

__all__ = ["lambda_handler"]
