"""POST /v1/users/{user_id}/follow"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "users_follow")
