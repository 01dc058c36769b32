"""The shared access token: fetched by one caller at a time, a handful of times a day, however many
threads and containers ask; renewed once when WeChat refuses it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.platform import aws
from earnloop.platform.dynamo import unmarshal
from earnloop.platform.errors import WeChatUnavailableError
from earnloop.wechat import token as tokens_module
from earnloop.wechat.calls import WeChatApi
from earnloop.wechat.security import ContentSecurity
from earnloop.wechat.store import TokenStore, token_key
from earnloop.wechat.token import AccessTokens, AppCredentials, access_token, fetch_stable_token

from tests.fakes.wechat_server import MSG_SEC_CHECK, FakeWeChat, Reply, error
from tests.integration.wechat.conftest import AtomicRequests, FakeClock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

THREADS = 12


@pytest.fixture
def timed_wechat(moto_cloud: Any, clock: FakeClock) -> Iterator[FakeWeChat]:
    secret = moto_cloud.secret_values["wechat"]
    with FakeWeChat(secret["app_id"], secret["app_secret"], clock=clock) as server:
        yield server


def container(
    moto_cloud: Any, server: FakeWeChat, clock: FakeClock, client: Any, **kwargs: Any
) -> AccessTokens:
    """What one Lambda container holds: its own memory, the shared table."""
    api = WeChatApi(server.base_url, timeout_s=2, retries=0)
    credentials = AppCredentials(server.app_id, server.app_secret)
    store = TokenStore(client, moto_cloud.settings.table_name("wechat"), server.app_id)
    return AccessTokens(
        store, lambda force: fetch_stable_token(api, credentials, force=force), clock=clock, **kwargs
    )


def together(calls: list[Callable[[], str]]) -> list[str]:
    """Runs the calls in threads released at once; returns their answers."""
    answers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], str]) -> None:
        start.wait()
        try:
            answers.append(call())
        except BaseException as failure:
            errors.append(failure)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return answers


def test_many_threads_in_two_containers_cause_one_fetch_and_share_the_token(moto_cloud, timed_wechat, clock):
    client = AtomicRequests(aws.dynamodb())
    a, b = (
        container(moto_cloud, timed_wechat, clock, client),
        container(moto_cloud, timed_wechat, clock, client),
    )

    answers = together([a.get, b.get] * (THREADS // 2))

    assert timed_wechat.token_fetches == 1
    assert set(answers) == {"TOKEN-1"}
    item = unmarshal(
        aws.dynamodb().get_item(
            TableName=moto_cloud.settings.table_name("wechat"),
            Key={k: {"S": v} for k, v in token_key(timed_wechat.app_id).items()},
        )["Item"]
    )
    assert item["access_token"] == "TOKEN-1" and item["valid_until"] == int(clock()) + 7200
    assert "lease_holder" not in item and "lease_until" not in item


def test_a_due_token_is_refreshed_once_while_the_others_keep_using_the_valid_one(
    moto_cloud, timed_wechat, clock
):
    client = AtomicRequests(aws.dynamodb())
    a, b = (
        container(moto_cloud, timed_wechat, clock, client),
        container(moto_cloud, timed_wechat, clock, client),
    )
    assert a.get() == b.get() == "TOKEN-1"

    clock.advance(7200 - 300 + 1)  # into the last five minutes: WeChat's normal mode renews now
    answers = together([a.get, b.get] * (THREADS // 2))

    assert timed_wechat.token_fetches == 2 and timed_wechat.forced_fetches == 0
    # Some callers may have used the old token while the refresh ran: both are valid now.
    assert set(answers) <= {"TOKEN-1", "TOKEN-2"} and "TOKEN-2" in answers
    assert a.get() == b.get() == "TOKEN-2"


def test_a_day_of_calls_from_three_containers_fetches_a_handful_of_times(moto_cloud, timed_wechat, clock):
    client = AtomicRequests(aws.dynamodb())
    containers = [container(moto_cloud, timed_wechat, clock, client) for _ in range(3)]
    used: set[str] = set()

    for _ in range(24 * 60 // 2):  # every two minutes, each container makes a call
        for tokens in containers:
            used.add(tokens.get())
        clock.advance(120)

    assert timed_wechat.token_fetches <= 13
    assert len(used) == timed_wechat.token_fetches


def test_while_another_caller_holds_the_lease_and_no_token_exists_a_caller_waits_then_gives_up(
    moto_cloud, timed_wechat, clock
):
    client = AtomicRequests(aws.dynamodb())
    crashed = container(moto_cloud, timed_wechat, clock, client)
    store = TokenStore(client, moto_cloud.settings.table_name("wechat"), timed_wechat.app_id)
    assert store.take_lease("a-container-that-dies", clock(), 10, None)
    patient = container(moto_cloud, timed_wechat, clock, client, wait_s=0.2)

    with pytest.raises(WeChatUnavailableError):
        patient.get()
    assert timed_wechat.token_fetches == 0

    clock.advance(12)  # the dead holder's lease has run out
    assert crashed.get() == "TOKEN-1" and patient.get() == "TOKEN-1"
    assert timed_wechat.token_fetches == 1


def test_a_wrong_app_secret_is_unavailable_not_a_crash(moto_cloud, timed_wechat, clock):
    api = WeChatApi(timed_wechat.base_url, timeout_s=2, retries=0)
    with pytest.raises(WeChatUnavailableError):
        fetch_stable_token(api, AppCredentials(timed_wechat.app_id, "not-the-secret"), force=False)


def test_the_shared_token_reads_the_app_credentials_from_the_wechat_secret(wechat):
    assert access_token() == access_token() == "TOKEN-1"
    assert wechat.token_fetches == 1


def test_a_token_wechat_refuses_is_renewed_once_by_force_however_many_callers_saw_it(wechat):
    security = ContentSecurity(WeChatApi(wechat.base_url, timeout_s=2, retries=0))
    assert security.check_text("hello", openid="o1").outcome == "pass"
    wechat.revoke_tokens()  # e.g. someone reset the AppSecret's tokens in the console

    checks = together([lambda: security.check_text("hello", openid="o1").outcome] * 6)

    assert checks == ["pass"] * 6
    assert wechat.forced_fetches == 1
    assert wechat.token_fetches == 2


def test_a_token_refused_twice_in_a_row_is_not_retried_forever(wechat):
    security = ContentSecurity(WeChatApi(wechat.base_url, timeout_s=2, retries=0))
    access_token()
    wechat.script_api(MSG_SEC_CHECK, error(40001, "invalid credential"), error(40001, "invalid credential"))

    with pytest.raises(WeChatUnavailableError):
        security.check_text("hello", openid="o1")
    assert len(wechat.api_calls_to(MSG_SEC_CHECK)) == 2


def test_the_memory_of_a_restored_snapshot_is_dropped(wechat):
    access_token()
    assert tokens_module._tokens
    tokens_module.forget_tokens()
    assert not tokens_module._tokens
    # The table still has it: a new container does not fetch again.
    assert access_token() == "TOKEN-1" and wechat.token_fetches == 1


def test_busy_wechat_is_retried(wechat):
    wechat.script_api(MSG_SEC_CHECK, Reply({"errcode": -1, "errmsg": "system busy"}))
    security = ContentSecurity(WeChatApi(wechat.base_url, timeout_s=2, retries=1, backoff_s=0.01))
    assert security.check_text("hello", openid="o1").outcome == "pass"
