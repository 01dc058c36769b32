"""The HTTP API: one route per method of every FastAPI route, to the function of the same name.

Routes come from `earnloop.platform.app.api_routes()`, never listed here: a route added to a
context's router is deployed by the next synth, and a route without a catalog function (or an
HTTP function without a route) fails the synth.

The API, its stage and access log are the parent stack's (`Api`); each context's nested stack holds
the routes, integrations and invoke permissions of its own functions (`Routes`).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import nag
from infra.config import API_BURST_LIMIT, API_RATE_LIMIT, ROUTE_THROTTLES
from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from aws_cdk import aws_lambda as lambda_
    from earnloop.platform.catalog import FunctionSpec
    from fastapi.routing import APIRoute

    from infra.config import StageConfig

# HTTP API path parameters are `{name}`; a FastAPI converter (`{rest:path}`) has no equivalent.
_CONVERTER = re.compile(r"\{[^}]*:[^}]*\}")

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        # "-" when no function ran: with status 429 that is API Gateway's own throttling.
        "integrationStatus": "$context.integrationStatus",
        "integrationError": "$context.integrationErrorMessage",
        "error": "$context.error.message",
    },
    separators=(",", ":"),
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    # A jsii interface, not a struct: a dict does not cross the jsii boundary, an object does.
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT)


def route_table(routes: Sequence[APIRoute], specs: Mapping[str, FunctionSpec]) -> list[tuple[str, str, str]]:
    """(method, path, function name) per route method; raises when routes and catalog disagree."""
    table: list[tuple[str, str, str]] = []
    for route in routes:
        methods = sorted(route.methods or ())
        spec = specs.get(route.name)
        if spec is None or spec.kind != "http":
            raise LookupError(f"route {methods} {route.path} names no HTTP function {route.name!r}")
        if _CONVERTER.search(route.path):
            raise ValueError(f"route {route.path}: path converters cannot be deployed on HTTP API")
        table.extend((method, route.path, route.name) for method in methods)
    routed = {name for _, _, name in table}
    unrouted = sorted(
        name
        for name, spec in specs.items()
        if spec.kind == "http" and not spec.default_route and name not in routed
    )
    if unrouted:
        raise LookupError(f"HTTP functions without a route: {unrouted}")
    return table


class Api(Construct):
    """The API and its `$default` stage; `Routes` adds each context's routes to it."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        routes: Sequence[APIRoute],
        specs: Mapping[str, FunctionSpec],
    ) -> None:
        super().__init__(scope, id)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=physical(config.stage, "api"),
            description=f"earnloop {config.stage} mini-program API",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, removal_policy=config.named_removal_policy
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=API_RATE_LIMIT, burst_limit=API_BURST_LIMIT),
            access_log_settings=_AccessLogSettings(self.access_logs),
        )
        self.routes: list[tuple[str, str, str]] = route_table(routes, specs)
        # `$default`: what no route matches goes to the platform's `not_found` (problem+json 404,
        # or 405 with `Allow` for a served path), never to HTTP API's own `{"message":"Not Found"}`.
        (self.default_function,) = [
            name for name, spec in specs.items() if spec.kind == "http" and spec.default_route
        ]
        self.route_settings: dict[str, dict[str, int]] = {
            f"{method} {path}": {
                "ThrottlingRateLimit": ROUTE_THROTTLES[name][0],
                "ThrottlingBurstLimit": ROUTE_THROTTLES[name][1],
            }
            for method, path, name in self.routes
            if name in ROUTE_THROTTLES
        }
        if self.route_settings:
            # A route's own rate and burst, below the stage's default (stage route settings).
            stage = self.stage.node.default_child
            assert isinstance(stage, apigwv2.CfnStage)
            stage.add_property_override("RouteSettings", self.route_settings)

    def throttled(self, route_key: str) -> bool:
        return route_key in self.route_settings


class Routes(Construct):
    """The routes of one context's functions, each invoking what `functions` maps it to (the
    `live` alias), with the integrations and invoke permissions they need."""

    def __init__(
        self, scope: Construct, id: str, *, api: Api, functions: Mapping[str, lambda_.IFunction]
    ) -> None:
        super().__init__(scope, id)
        lambda_integrations: dict[str, integrations.HttpLambdaIntegration] = {}

        def integration(name: str) -> integrations.HttpLambdaIntegration:
            if name not in lambda_integrations:
                lambda_integrations[name] = integrations.HttpLambdaIntegration(
                    f"{construct_id(name)}Integration", functions[name]
                )
            return lambda_integrations[name]

        self.routes: dict[str, apigwv2.HttpRoute] = {}
        for method, path, name in api.routes:
            if name not in functions:
                continue
            route = apigwv2.HttpRoute(
                self,
                f"{method}{path}",
                http_api=api.http_api,
                route_key=apigwv2.HttpRouteKey.with_(path, apigwv2.HttpMethod[method]),
                integration=integration(name),
            )
            self.routes[f"{method} {path}"] = route
            if api.throttled(f"{method} {path}"):
                # A stage naming a route key that does not exist yet fails to deploy: CloudFormation
                # creates this stack (and the route) before the parent's stage.
                api.stage.node.add_dependency(route)
        if api.default_function in functions:
            self.routes["$default"] = apigwv2.HttpRoute(
                self,
                "DefaultRoute",
                http_api=api.http_api,
                route_key=apigwv2.HttpRouteKey.DEFAULT,
                integration=integration(api.default_function),
            )
        if self.routes:
            nag.acknowledge(
                self,
                "APIG4",
                "earnloop sessions are ES256 JWTs signed in KMS by auth_login alone and verified by "
                "every function (platform.auth: CurrentUser/AdminUser); HTTP API's JWT authorizer "
                "supports only RSA-signed tokens (docs/decisions.md), and /v1/health, /v1/auth/login, "
                "the JWKS and the code domain's pages are public by design",
            )
