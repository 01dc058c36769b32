"""POST /v1/me/subscriptions"""

from earnloop.identity.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "me_subscriptions")
