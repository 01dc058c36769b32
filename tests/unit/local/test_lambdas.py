"""Functions run from their own `functions/<name>/handler.py`, with a Lambda-like context."""

from __future__ import annotations

import json

import pytest
from earnloop.local import lambdas
from earnloop.local.samples import load


def test_a_function_runs_from_its_handler_file_on_its_sample_event() -> None:
    response = lambdas.invoke("health", load("apigw/health.json"), "ap-east-1")

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok", "stage": "local"}


def test_a_handler_is_imported_once_like_a_warm_container() -> None:
    assert lambdas.load_handler("health") is lambdas.load_handler("health")
    first = lambdas.load_handler("health")
    lambdas.forget_handlers()
    assert lambdas.load_handler("health") is not first


def test_an_unknown_function_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="no function 'nope'"):
        lambdas.load_handler("nope")


def test_the_context_carries_the_catalog_timeout_and_an_arn() -> None:
    context = lambdas.context_for("stream_publisher", "ap-east-1")

    assert context.timeout_s == 60
    assert context.invoked_function_arn == "arn:aws:lambda:ap-east-1:123456789012:function:stream_publisher"
    assert 0 < context.get_remaining_time_in_millis() <= 60_000
    assert lambdas.context_for("not_in_catalog", "ap-east-1").timeout_s == 10
