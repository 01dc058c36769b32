"""GET /v1/admin/stats"""

from earnloop.platform.http import function_handler
from earnloop.stats.api import router

lambda_handler = function_handler(router, "admin_stats_get")
