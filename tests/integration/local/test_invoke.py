"""`earnloop invoke` and `earnloop openapi`: one function on a sample event, never against AWS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from typing import TYPE_CHECKING

import pytest
from earnloop.local import cli
from earnloop.local.cloud import Endpoints
from earnloop.local.dynamodb_local import free_port
from earnloop.local.invoke import Caller, CloudLookup, invoke, look_for_cloud, running_cloud, write_endpoints

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def no_running_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Invoke looks for a running `earnloop dev` here instead of the repository's `.local/`."""
    path = tmp_path / "endpoints.json"
    monkeypatch.setattr("earnloop.local.invoke.ENDPOINTS_FILE", path)
    return path


def test_without_a_running_cloud_a_function_runs_on_a_throwaway_moto() -> None:
    before = dict(os.environ)

    result, where = invoke("health", "events/apigw/health.json", None, {})

    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"status": "ok", "stage": "local"}
    assert "throwaway" in where
    assert dict(os.environ) == before


def test_the_caller_gets_a_token_signed_with_the_local_session_secret() -> None:
    anonymous, _ = invoke("me_get", "apigw/me_get.json", None, {})
    signed, _ = invoke("me_get", "apigw/me_get.json", Caller("01JDQ3Z8V7X6M5N4B3C2A1Z0YX", frozenset()), {})

    assert anonymous["statusCode"] == 401
    # Past authentication: the throwaway cloud has no such user.
    assert signed["statusCode"] == 404


def test_a_stale_endpoints_file_left_by_a_crash_is_ignored(no_running_cloud: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    write_endpoints(Endpoints(dead, dead, "dynamodb-local", "ap-east-1"), no_running_cloud)

    assert look_for_cloud(no_running_cloud) == CloudLookup(
        None, f"nothing answers at {dead}, where endpoints.json says the cloud is"
    )


def test_a_file_whose_writer_died_is_ignored_even_where_its_ports_answer(no_running_cloud: Path) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        live = f"http://127.0.0.1:{listening.getsockname()[1]}"
        endpoints = Endpoints(live, live, "dynamodb-local", "ap-east-1").as_json()
        ended = subprocess.Popen(["true"])
        ended.wait()

        no_running_cloud.write_text(json.dumps({**endpoints, "pid": ended.pid}))
        assert look_for_cloud(no_running_cloud).reason == (
            f"the `make dev` that wrote endpoints.json (pid {ended.pid}) has ended"
        )
        no_running_cloud.write_text(json.dumps({**endpoints, "pid": os.getpid()}))
        assert running_cloud(no_running_cloud) is not None


def test_without_a_file_the_reason_says_no_make_dev_has_started(no_running_cloud: Path) -> None:
    assert look_for_cloud(no_running_cloud) == CloudLookup(
        None, "no endpoints.json (no `make dev` has started)"
    )


def test_the_command_prints_the_functions_answer_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["invoke", "health", "--event", "events/apigw/health.json"])

    assert status == 0
    assert json.loads(capsys.readouterr().out)["statusCode"] == 200


def test_an_unknown_function_or_a_bad_caller_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["invoke", "nope", "--event", "events/apigw/health.json"]) == 2
    assert cli.main(["invoke", "health", "--event", "events/apigw/health.json", "--as", "u1:root"]) == 2
    assert "error:" in capsys.readouterr().err


def test_openapi_prints_the_api_document_with_every_route(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["openapi"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "/v1/scans" in document["paths"] and "/v1/auth/login" in document["paths"]
