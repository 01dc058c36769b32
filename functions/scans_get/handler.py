"""GET /v1/scans/{scan_id}"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("scans_get")
