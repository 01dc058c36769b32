"""POST /v1/scans"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("scans_create")
