"""GET /v1/leaderboard"""

from earnloop.platform.http import function_handler
from earnloop.stats.api import router

lambda_handler = function_handler(router, "leaderboard_get")
