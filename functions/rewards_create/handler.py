"""POST /v1/admin/rewards"""

from earnloop.mall.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "rewards_create")
