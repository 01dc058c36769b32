"""The `earnloop` command line: arguments, callers, and the quick start `earnloop dev` prints."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from earnloop.local.cli import parser, quick_start
from earnloop.local.cloud import Endpoints
from earnloop.local.demo import Demo, DemoCode
from earnloop.local.invoke import Caller


def test_invoke_takes_a_function_an_event_a_caller_and_path_parameters() -> None:
    args = parser().parse_args(
        [
            "invoke",
            "scans_get",
            "--event",
            "events/apigw/scans_get.json",
            "--as",
            "u1:admin",
            "--param",
            "scan_id=X-1",
        ]
    )

    assert (args.command, args.function, args.event, args.caller, args.param) == (
        "invoke",
        "scans_get",
        "events/apigw/scans_get.json",
        "u1:admin",
        ["scan_id=X-1"],
    )


def test_dev_listens_on_port_8000_unless_told_otherwise() -> None:
    assert parser().parse_args(["dev"]).port == 8000
    assert parser().parse_args(["dev", "--port", "8123"]).port == 8123


@pytest.mark.parametrize(("text", "roles"), [("u1", frozenset()), ("u1:admin", frozenset({"admin"}))])
def test_a_caller_is_a_user_id_optionally_an_admin(text: str, roles: frozenset[str]) -> None:
    assert Caller.parse(text) == Caller("u1", roles)


@pytest.mark.parametrize("text", ["", ":admin", "u1:root"])
def test_other_callers_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Caller.parse(text)


def test_the_quick_start_shows_a_login_a_scan_with_a_demo_code_and_a_balance_check() -> None:
    codes = [DemoCode(n, f"ABATCH.{n}.MAC", f"https://example.com/q/ABATCH.{n}.MAC") for n in range(1, 21)]
    demo = Demo("01ADMIN", "token", "BATCH", "DEMO-YOGURT-OAT-PEACH", "Oat & peach yogurt", 50, codes)
    cloud = SimpleNamespace(
        endpoints=Endpoints("http://127.0.0.1:1", "http://127.0.0.1:2", "dynamodb-local", "ap-east-1")
    )

    text = quick_start(demo, cloud, "http://127.0.0.1:8000", 9.5)  # type: ignore[arg-type]

    assert "http://127.0.0.1:8000/docs" in text
    assert "/v1/auth/login" in text and '{"code":"dev:alice"}' in text
    assert '-d \'{"code":"ABATCH.1.MAC"}\'' in text
    assert "http://127.0.0.1:8000/v1/points -H" in text
    assert all(code.url in text for code in codes)
    assert "Ctrl-C stops everything." in text
    assert "DynamoDB Local http://127.0.0.1:2" in text
