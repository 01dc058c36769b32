"""The HTTP API: routes come from the FastAPI routers, each to the function of the same name."""

from __future__ import annotations

import json

import pytest
from earnloop.contexts import all_functions, routers
from earnloop.platform.app import api_routes
from earnloop.platform.catalog import FunctionSpec, http
from fastapi import APIRouter

from infra.api import route_table
from infra.config import API_BURST_LIMIT, API_RATE_LIMIT, ROUTE_THROTTLES

pytestmark = pytest.mark.infra

SPECS = {spec.name: spec for spec in all_functions()}


def _function_of_alias(synth, alias_id: str) -> str:
    """The function behind a `live` alias (alias -> version -> function)."""
    alias = synth.props(alias_id)
    assert alias["Name"] == "live"
    version = synth.props(alias["FunctionVersion"]["Fn::GetAtt"][0])
    assert alias["FunctionName"] == version["FunctionName"]
    return str(version["FunctionName"]["Ref"])


def _deployed_routes(synth) -> dict[str, str]:
    """Route key (`GET /v1/scans/{scan_id}`) -> logical id of the function it invokes, through its alias."""
    integrations = synth.of_type("AWS::ApiGatewayV2::Integration")
    routes: dict[str, str] = {}
    for route in synth.of_type("AWS::ApiGatewayV2::Route").values():
        target = route["Properties"]["Target"]["Fn::Join"][1]
        integration = integrations[target[1]["Ref"]]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        alias_id = integration["IntegrationUri"]["Ref"]
        assert synth.resources[alias_id]["Type"] == "AWS::Lambda::Alias"
        routes[route["Properties"]["RouteKey"]] = _function_of_alias(synth, alias_id)
    return routes


def test_every_fastapi_route_is_deployed_with_its_method_and_path_to_its_function(synth) -> None:
    expected = {
        f"{method} {route.path}": synth.function(route.name)
        for route in api_routes(routers())
        for method in route.methods
    }
    # What no route matches: problem+json from the platform, not HTTP API's own `{"message": ...}`.
    expected["$default"] = synth.function("not_found")

    assert _deployed_routes(synth) == expected


def test_every_http_function_has_a_route_and_every_route_a_function() -> None:
    routed = {route.name for route in api_routes(routers())}
    http_functions = {name for name, spec in SPECS.items() if spec.kind == "http" and not spec.default_route}

    assert routed == http_functions


def test_each_routed_function_may_be_invoked_by_the_api(synth) -> None:
    api = next(iter(synth.of_type("AWS::ApiGatewayV2::Api")))
    invokable = {
        _function_of_alias(synth, props["Properties"]["FunctionName"]["Ref"])
        for props in synth.of_type("AWS::Lambda::Permission").values()
        if props["Properties"]["Principal"] == "apigateway.amazonaws.com"
        and api in json.dumps(props["Properties"]["SourceArn"])
    }

    assert invokable == set(_deployed_routes(synth).values())


def test_the_stage_logs_every_request_and_throttles_by_default(synth) -> None:
    (stage,) = synth.of_type("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    log_format = json.loads(props["AccessLogSettings"]["Format"])

    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": API_BURST_LIMIT,
        "ThrottlingRateLimit": API_RATE_LIMIT,
    }
    assert log_format["requestId"] == "$context.requestId"
    assert {"routeKey", "status", "integrationError", "integrationStatus"} <= set(log_format)
    log_group = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert synth.props(log_group)["RetentionInDays"] > 0


def test_login_and_scans_have_route_throttles_tighter_than_the_stage(synth) -> None:
    (stage_id,) = synth.of_type("AWS::ApiGatewayV2::Stage")
    stage = synth.resources[stage_id]
    settings = stage["Properties"]["RouteSettings"]
    route_ids = {
        route["Properties"]["RouteKey"]: key
        for key, route in synth.of_type("AWS::ApiGatewayV2::Route").items()
    }

    assert set(settings) == {"POST /v1/auth/login", "POST /v1/scans"}
    for route_key, limits in settings.items():
        assert 0 < limits["ThrottlingRateLimit"] < API_RATE_LIMIT
        assert limits["ThrottlingRateLimit"] <= limits["ThrottlingBurstLimit"] < API_BURST_LIMIT
        # The stage may only name routes that exist: it is created after them, that is after the
        # context stack that holds them.
        assert synth.home[route_ids[route_key]] in stage["DependsOn"]
    assert settings["POST /v1/auth/login"]["ThrottlingRateLimit"] == ROUTE_THROTTLES["auth_login"][0]


def _router(path: str, name: str) -> list:
    router = APIRouter()
    router.add_api_route(path, lambda: None, methods=["GET"], name=name)
    return list(router.routes)


def test_a_route_naming_no_catalog_function_fails_the_synth() -> None:
    with pytest.raises(LookupError, match="names no HTTP function"):
        route_table(_router("/v1/ghost", "ghost"), {"health": http("health")})


def test_an_http_function_without_a_route_fails_the_synth() -> None:
    specs: dict[str, FunctionSpec] = {"health": http("health"), "orphan": http("orphan")}

    with pytest.raises(LookupError, match="orphan"):
        route_table(_router("/v1/health", "health"), specs)


def test_a_route_to_a_worker_fails_the_synth() -> None:
    specs = {"points_earn": SPECS["points_earn"]}

    with pytest.raises(LookupError):
        route_table(_router("/v1/earn", "points_earn"), specs)


def test_a_path_converter_fails_the_synth() -> None:
    with pytest.raises(ValueError, match="converter"):
        route_table(_router("/v1/files/{rest:path}", "health"), {"health": http("health")})


def test_the_http_api_answers_no_browser_cors(synth) -> None:
    # Only the mini-program calls the API, and it is not a browser: no origin is allowed, so API
    # Gateway adds no Access-Control-* header and answers no preflight itself (issue 10.7).
    (api,) = synth.of_type("AWS::ApiGatewayV2::Api").values()

    assert "CorsConfiguration" not in api["Properties"]
    assert not any(key.startswith("OPTIONS ") for key in _deployed_routes(synth))
