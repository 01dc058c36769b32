"""POST /v1/notifications/read"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "notifications_read")
