"""POST /v1/posts/{post_id}/comments"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "comments_create")
