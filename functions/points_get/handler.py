"""GET /v1/points"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("points_get")
