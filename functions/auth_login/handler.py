"""POST /v1/auth/login"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "auth_login")
