"""The WeChat client against a local fake speaking the documented `jscode2session` protocol."""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import pytest
from earnloop.platform.errors import RateLimitedError, UnauthenticatedError, WeChatUnavailableError
from earnloop.platform.observability import logger
from earnloop.platform.wechat import WeChatClient, WeChatCredentials

from tests.fakes.wechat_server import FakeWeChat, Reply, error, ok, session_key_of

if TYPE_CHECKING:
    from collections.abc import Iterator

APP_ID = "wx-test-app"
APP_SECRET = "TOP-SECRET-app-secret-value"


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat(APP_ID, APP_SECRET) as server:
        yield server


@pytest.fixture
def pauses() -> list[float]:
    return []


def client_for(
    base_url: str, pauses: list[float], *, timeout_s: float = 2.0, retries: int = 2
) -> WeChatClient:
    return WeChatClient(
        base_url,
        lambda: WeChatCredentials(APP_ID, APP_SECRET),
        timeout_s=timeout_s,
        retries=retries,
        sleep=pauses.append,
    )


@pytest.fixture
def client(fake: FakeWeChat, pauses: list[float]) -> WeChatClient:
    return client_for(fake.base_url, pauses)


def test_a_valid_code_gives_the_openid_and_no_unionid(client, fake):
    session = client.code2session("ok:o1")
    assert (session.openid, session.unionid) == ("o1", None)
    assert session.session_key.get_secret_value() == session_key_of("o1")
    assert fake.requests == [
        {"appid": APP_ID, "secret": APP_SECRET, "js_code": "ok:o1", "grant_type": "authorization_code"}
    ]


def test_a_valid_code_gives_the_unionid_when_wechat_has_one(client):
    session = client.code2session("ok:o1:u1")
    assert (session.openid, session.unionid) == ("o1", "u1")


def test_the_session_key_is_hidden_from_repr_and_dumps(client):
    session = client.code2session("ok:o1")
    assert session_key_of("o1") not in repr(session)
    assert session_key_of("o1") not in session.model_dump_json()


def test_an_invalid_code_is_unauthenticated_without_retry(client, fake):
    with pytest.raises(UnauthenticatedError):
        client.code2session("err:40029")
    assert fake.calls("err:40029") == 1


def test_a_code_used_twice_is_unauthenticated(client):
    client.code2session("ok:o1")
    with pytest.raises(UnauthenticatedError):
        client.code2session("ok:o1")


def test_wechat_rate_limiting_asks_the_client_to_retry_in_a_minute(client, fake):
    with pytest.raises(RateLimitedError) as raised:
        client.code2session("err:45011")
    assert raised.value.headers == {"Retry-After": "60"}
    assert fake.calls("err:45011") == 1


def test_system_busy_is_retried_with_backoff_then_succeeds(client, fake, pauses):
    session = client.code2session("busy:2:o1")
    assert session.openid == "o1"
    assert fake.calls("busy:2:o1") == 3
    assert pauses == [0.1, 0.2]


def test_system_busy_on_every_attempt_is_unavailable(client, fake):
    with pytest.raises(WeChatUnavailableError):
        client.code2session("err:-1")
    assert fake.calls("err:-1") == 3


def test_a_server_error_is_retried(client, fake):
    fake.script("ok:o1", Reply(b"<html>502</html>", status=502))
    assert client.code2session("ok:o1").openid == "o1"
    assert fake.calls("ok:o1") == 2


def test_server_errors_on_every_attempt_are_unavailable(client, fake):
    with pytest.raises(WeChatUnavailableError):
        client.code2session("http:503")
    assert fake.calls("http:503") == 3


def test_a_timeout_on_every_attempt_is_unavailable(fake, pauses):
    client = client_for(fake.base_url, pauses, timeout_s=0.2, retries=1)
    slow = Reply(ok("o1").body, delay_s=30)
    fake.script("c1", slow, slow)
    with pytest.raises(WeChatUnavailableError):
        client.code2session("c1")
    assert fake.calls("c1") == 2


def test_a_code_consumed_by_an_attempt_that_timed_out_is_unavailable_not_the_users_fault(fake, pauses):
    client = client_for(fake.base_url, pauses, timeout_s=0.2, retries=1)
    # WeChat answered (and used up the code) after we stopped waiting; the retry hears "code used".
    with pytest.raises(WeChatUnavailableError):
        client.code2session("slow:30:o1")
    assert fake.calls("slow:30:o1") == 2


def test_a_slow_first_answer_then_a_fast_one_succeeds(fake, pauses):
    client = client_for(fake.base_url, pauses, timeout_s=0.2, retries=1)
    fake.script("ok:o1", Reply(ok("o1").body, delay_s=30))
    assert client.code2session("ok:o1").openid == "o1"


def test_an_unreachable_wechat_is_unavailable(pauses):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now: every connection is refused.
    with pytest.raises(WeChatUnavailableError):
        client_for(f"http://127.0.0.1:{port}", pauses).code2session("ok:o1")
    assert len(pauses) == 2


def test_malformed_json_is_unavailable_and_not_retried(client, fake):
    with pytest.raises(WeChatUnavailableError):
        client.code2session("garbage:")
    assert fake.calls("garbage:") == 1


@pytest.mark.parametrize(
    "reply",
    [error(40226, "high risk user"), Reply({"errcode": 0}), Reply(b"[1, 2]"), Reply(b"nope", status=404)],
    ids=["unknown-errcode", "no-openid", "not-an-object", "http-404"],
)
def test_an_unexpected_answer_is_unavailable(client, fake, reply):
    fake.script("c1", reply)
    with pytest.raises(WeChatUnavailableError):
        client.code2session("c1")
    assert fake.calls("c1") == 1


def test_a_wrong_app_secret_is_unavailable_not_the_users_fault(fake, pauses):
    client = WeChatClient(
        fake.base_url, lambda: WeChatCredentials(APP_ID, "wrong"), timeout_s=2, retries=2, sleep=pauses.append
    )
    with pytest.raises(WeChatUnavailableError):
        client.code2session("ok:o1")


@pytest.fixture
def debug_logs() -> Iterator[None]:
    previous = logger.log_level
    logger.setLevel("DEBUG")
    try:
        yield
    finally:
        logger.setLevel(previous)


def test_the_secret_code_and_session_key_never_reach_the_logs(fake, pauses, capfd, caplog, debug_logs):
    caplog.set_level(logging.DEBUG, logger="urllib3")
    client = client_for(fake.base_url, pauses, timeout_s=0.2, retries=1)
    client.code2session("ok:o1:u1")
    for code in ("err:40029", "err:45011", "err:-1", "garbage:", "slow:30:o2", "err:40125"):
        with pytest.raises((UnauthenticatedError, RateLimitedError, WeChatUnavailableError)):
            client.code2session(code)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WeChatUnavailableError):
        client_for(f"http://127.0.0.1:{port}", pauses).code2session("ok:o3")

    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "wechat unavailable" in logs and "jscode2session" in logs  # the logs were captured
    for secret in (APP_SECRET, session_key_of("o1"), "ok:o1:u1", "slow:30:o2", "o1"):
        assert secret not in logs
