"""Queue posts: moves posts on as their media are processed, learns scanned products, clears removed posts."""

from earnloop.content.posts_worker import lambda_handler

__all__ = ["lambda_handler"]
