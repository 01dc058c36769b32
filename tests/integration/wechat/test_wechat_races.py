"""Races on the wechat table, on DynamoDB Local (moto applies requests without isolation between
threads): containers refreshing the token at once, and copies of a push recording one verdict."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.wechat.calls import WeChatApi
from earnloop.wechat.context import CONTEXT
from earnloop.wechat.store import PushStore, TokenStore
from earnloop.wechat.token import AccessTokens, AppCredentials, fetch_stable_token

from tests.fakes.wechat_server import FakeWeChat
from tests.integration.wechat.conftest import FakeClock
from tests.support.races import fresh_table, race_client

if TYPE_CHECKING:
    from collections.abc import Callable

COPIES = 8


@pytest.fixture(scope="module")
def table(dynamodb_local: str) -> tuple[Any, str]:
    ddb = race_client(dynamodb_local, COPIES)
    return ddb, fresh_table(ddb, CONTEXT.table)


def race(work: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * COPIES
    errors: list[BaseException] = []
    start = threading.Barrier(COPIES)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_containers_refreshing_at_once_fetch_once_each_time_the_token_is_due(table):
    ddb, name = table
    clock = FakeClock()
    with FakeWeChat("wx-race-app", "race-secret", clock=clock) as wechat:
        api = WeChatApi(wechat.base_url, timeout_s=2, retries=0)
        credentials = AppCredentials(wechat.app_id, wechat.app_secret)
        containers = [
            AccessTokens(
                TokenStore(ddb, name, wechat.app_id),
                lambda force: fetch_stable_token(api, credentials, force=force),
                clock=clock,
            )
            for _ in range(COPIES)
        ]

        assert set(race(lambda i: containers[i].get())) == {"TOKEN-1"}
        assert wechat.token_fetches == 1

        clock.advance(7200 - 299)
        assert "TOKEN-2" in race(lambda i: containers[i].get())
        assert wechat.token_fetches == 2

        wechat.revoke_tokens()
        assert set(race(lambda i: containers[i].renew("TOKEN-2"))) == {"TOKEN-3"}
        assert (wechat.token_fetches, wechat.forced_fetches) == (3, 1)


def test_copies_of_a_push_record_its_verdict_once(table):
    ddb, name = table
    store = PushStore(ddb, name)
    trace_id = f"trace-{uuid.uuid4().hex[:8]}"

    written = race(
        lambda i: store.record_verdict(
            timestamp=1_795_424_400,
            nonce=f"{trace_id}-{i % 2}",  # some copies share a nonce, some only the trace id
            nonce_expires_at=1_795_425_000,
            verdict={"trace_id": trace_id, "outcome": "pass", "label": 100, "openid": None, "errcode": 0},
            now=1_795_424_400,
        )
    )

    assert written.count(True) == 1
