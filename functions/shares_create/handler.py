"""POST /v1/shares"""

from earnloop.platform.http import function_handler
from earnloop.sharing.api import router

lambda_handler = function_handler(router, "shares_create")
