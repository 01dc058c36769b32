"""PUT /v1/admin/rewards/{reward_id}"""

from earnloop.mall.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "rewards_update")
