"""Queue media: S3 ObjectCreated notifications of uploads/ -> renditions, moderation, the outcome."""

from earnloop.content.media_worker import lambda_handler

__all__ = ["lambda_handler"]
