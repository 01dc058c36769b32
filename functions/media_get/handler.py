"""GET /v1/media/{media_id}"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "media_get")
