"""API Gateway's `$default` route: every request no route matches (problem+json 404 or 405)."""

from earnloop.platform.not_found import default_route_handler

lambda_handler = default_route_handler()
