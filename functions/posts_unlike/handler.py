"""DELETE /v1/posts/{post_id}/like"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "posts_unlike")
