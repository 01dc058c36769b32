"""What every Lambda entry point does before and after the library: bodies it cannot decode, and
log keys that must not outlive their invocation."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator

import pytest
from earnloop.local.samples import http_event, load
from earnloop.platform.app import create_app
from earnloop.platform.observability import logger
from fastapi import APIRouter
from fastapi.testclient import TestClient

from tests.support.lambdas import assert_problem, http_answer, invoke

WORKER_KEYS = {"event_id", "detail_type"}


def _lines(handler_stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in handler_stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("body", ["%%%not base64%%%", "abc", "eyJjb2RlIjog=x", "QQ==QQ=="])
def test_a_body_marked_base64_that_is_not_answers_422_not_a_crash(moto_cloud, body):
    event = http_event("apigw/scans_create.json", token=moto_cloud.token("u-b64"))
    event["body"], event["isBase64Encoded"] = body, True
    answer = http_answer(invoke("scans_create", event))
    problem = assert_problem(answer, 422, "validation_error")
    assert problem["errors"] == [{"loc": ["body"], "msg": "not valid base64"}]
    assert answer.headers["x-request-id"] == event["requestContext"]["requestId"]


def test_a_valid_base64_body_still_reaches_the_route(moto_cloud):
    event = http_event("apigw/scans_create.json", token=moto_cloud.token("u-b64"))
    event["body"] = base64.b64encode(json.dumps({"code": "not-a-code"}).encode()).decode()
    event["isBase64Encoded"] = True
    assert_problem(http_answer(invoke("scans_create", event)), 400, "invalid_code")


def test_an_http_function_after_a_worker_logs_none_of_the_workers_keys(moto_cloud, log_stream):
    assert invoke("points_earn", load("sqs/points_earn.json")) == {"batchItemFailures": []}
    worker_lines = _lines(log_stream)
    assert any(line.keys() >= WORKER_KEYS for line in worker_lines), worker_lines
    log_stream.truncate(0), log_stream.seek(0)

    event = http_event("apigw/scans_create.json", token=moto_cloud.token("u-logs"), body={"code": "forged"})
    assert_problem(http_answer(invoke("scans_create", event)), 400, "invalid_code")

    http_lines = _lines(log_stream)
    assert http_lines, "the rejected scan logs a line"
    for line in http_lines:
        assert not WORKER_KEYS & line.keys(), line
        assert line["function_name"] == "scans_create", line
        assert line["correlation_id"] == event["requestContext"]["requestId"], line


def test_a_worker_after_an_http_function_logs_neither_its_function_nor_its_request(moto_cloud, log_stream):
    event = http_event("apigw/scans_create.json", token=moto_cloud.token("u-logs"), body={"code": "forged"})
    invoke("scans_create", event)
    log_stream.truncate(0), log_stream.seek(0)

    invoke("points_earn", load("sqs/points_earn.json"))
    lines = _lines(log_stream)
    assert lines
    for line in lines:
        assert line["function_name"] == "points_earn", line
        assert line.get("correlation_id") != event["requestContext"]["requestId"], line


def test_the_local_server_starts_each_request_from_clean_log_keys(moto_cloud, log_stream):
    invoke("points_earn", load("sqs/points_earn.json"))
    router = APIRouter()

    @router.get("/v1/log-probe")
    def probe() -> dict[str, bool]:
        logger.info("probe")
        return {"ok": True}

    TestClient(create_app([router])).get("/v1/log-probe")
    probe_lines = [line for line in _lines(log_stream) if line["message"] == "probe"]
    assert len(probe_lines) == 1
    assert not (WORKER_KEYS | {"function_name"}) & probe_lines[0].keys(), probe_lines[0]
