"""Queue media-settle: WeChat's image verdicts settle waiting media; removed posts' media go."""

from earnloop.content.media_settle import lambda_handler

__all__ = ["lambda_handler"]
