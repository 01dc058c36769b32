"""Table streams -> domain events -> the bus."""

from earnloop.platform.publisher import lambda_handler

__all__ = ["lambda_handler"]
