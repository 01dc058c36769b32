"""PUT /v1/admin/earning-rules/{rule}"""

from earnloop.platform.http import function_handler
from earnloop.points.api import router

lambda_handler = function_handler(router, "admin_earning_rules_put")
