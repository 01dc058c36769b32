"""GET /q/{code}"""

from earnloop.codes.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "code_landing")
