"""POST /v1/scans"""

from earnloop.codes.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "scans_create")
