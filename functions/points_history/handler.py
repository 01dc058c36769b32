"""GET /v1/points/history"""

from earnloop.platform.http import function_handler
from earnloop.points.api import router

lambda_handler = function_handler(router, "points_history")
