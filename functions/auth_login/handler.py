"""POST /v1/auth/login"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("auth_login")
