"""GET /v1/admin/code-batches/{batch_id}/codes"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("code_batches_codes")
