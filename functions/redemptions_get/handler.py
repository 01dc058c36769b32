"""GET /v1/redemptions/{order_id}"""

from earnloop.mall.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "redemptions_get")
