"""GET /v1/me/export"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "me_export")
