"""GET /v1/scans/{scan_id}"""

from earnloop.codes.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "scans_get")
