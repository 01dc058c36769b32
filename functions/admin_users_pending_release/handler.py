"""POST /v1/admin/users/{user_id}/pending/release"""

from earnloop.platform.http import function_handler
from earnloop.points.api import router

lambda_handler = function_handler(router, "admin_users_pending_release")
