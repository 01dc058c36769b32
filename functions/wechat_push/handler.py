"""GET and POST /wechat/push"""

from earnloop.platform.http import function_handler
from earnloop.wechat.api import router

lambda_handler = function_handler(router, "wechat_push")
