"""POST /v1/admin/posts/{post_id}/approve"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "admin_posts_approve")
