"""POST /v1/admin/code-batches"""

from earnloop.platform.http import function_handler

lambda_handler = function_handler("code_batches_create")
