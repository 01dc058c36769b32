"""POST /v1/media/uploads"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "media_uploads_create")
