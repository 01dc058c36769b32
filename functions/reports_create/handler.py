"""POST /v1/posts/{post_id}/reports"""

from earnloop.content.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "reports_create")
