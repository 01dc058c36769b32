"""Schedule (every 15 minutes) -> touches the content table's pending events so they are published again."""

from earnloop.content.posts_outbox import lambda_handler

__all__ = ["lambda_handler"]
