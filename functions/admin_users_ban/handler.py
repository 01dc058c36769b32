"""POST /v1/admin/users/{user_id}/ban"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "admin_users_ban")
