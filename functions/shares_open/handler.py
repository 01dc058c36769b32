"""POST /v1/shares/opens"""

from earnloop.platform.http import function_handler
from earnloop.sharing.api import router

lambda_handler = function_handler(router, "shares_open")
