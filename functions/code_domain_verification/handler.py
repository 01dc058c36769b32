"""GET /{file_name} (WeChat's verification file at the code domain's root)"""

from earnloop.codes.api import router
from earnloop.platform.http import function_handler

lambda_handler = function_handler(router, "code_domain_verification")
