"""Queue media-verdicts: WeChat's asynchronous image verdicts settle waiting media."""

from earnloop.content.media_verdicts import lambda_handler

__all__ = ["lambda_handler"]
