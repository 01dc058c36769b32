"""GET /v1/admin/audit"""

from earnloop.platform.http import function_handler
from earnloop.points.api import router

lambda_handler = function_handler(router, "admin_audit_list")
