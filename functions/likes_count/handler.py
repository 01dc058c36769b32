"""SQS (likes) -> feed cards' like counts set to the sum of the post's like shards."""

from earnloop.content.likes_count import lambda_handler

__all__ = ["lambda_handler"]
