"""POST /v1/auth/logout"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "auth_logout")
