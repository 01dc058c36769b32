"""POST /v1/admin/redemptions/{order_id}/approve"""

from earnloop.mall.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "admin_redemptions_approve")
