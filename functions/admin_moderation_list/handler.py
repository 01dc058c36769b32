"""GET /v1/admin/moderation"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "admin_moderation_list")
