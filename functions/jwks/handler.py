"""GET /.well-known/jwks.json"""

from earnloop.platform.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "jwks")
