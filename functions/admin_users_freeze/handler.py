"""POST /v1/admin/users/{user_id}/freeze"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("admin_users_freeze")
