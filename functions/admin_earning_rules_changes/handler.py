"""GET /v1/admin/earning-rules/{rule}/changes"""

from earnloop.platform.http import function_handler
from earnloop.points.api import router

lambda_handler = function_handler(router, "admin_earning_rules_changes")
