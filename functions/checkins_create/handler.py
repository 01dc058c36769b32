"""POST /v1/checkins"""

from earnloop.platform.http import function_handler
from earnloop.points.api import router

lambda_handler = function_handler(router, "checkins_create")
