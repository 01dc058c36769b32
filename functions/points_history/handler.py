"""GET /v1/points/history"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("points_history")
