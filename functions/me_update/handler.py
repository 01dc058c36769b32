"""PATCH /v1/me"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("me_update")
