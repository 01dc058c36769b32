"""The getUserRiskRank client against the fake WeChat (scripted replies behind its token check)."""

from __future__ import annotations

import pytest
from earnloop.platform.errors import WeChatUnavailableError
from earnloop.wechat.calls import WeChatApi
from earnloop.wechat.risk_rank import RISK_RANK_PATH, LocalRiskRank, RiskScene, WeChatRiskRank

from tests.fakes.wechat_server import Reply, error


@pytest.fixture
def ranks(wechat):
    return WeChatRiskRank(WeChatApi(wechat.base_url, timeout_s=0.5, retries=1, backoff_s=0.01), wechat.app_id)


def test_the_rank_is_wechats_answer_and_the_request_is_as_documented(wechat, ranks):
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "errmsg": "getuserriskrank succ", "risk_rank": 3}))
    assert ranks.rank("oUser1", "203.0.113.7", RiskScene.REGISTER) == 3
    [sent] = wechat.api_calls_to(RISK_RANK_PATH)
    assert sent == {"appid": wechat.app_id, "openid": "oUser1", "scene": 0, "client_ip": "203.0.113.7"}


@pytest.mark.parametrize(
    "reply",
    [error(61010, "user not visited recently"), Reply({"errcode": 0, "risk_rank": 9}), Reply({"errcode": 0})],
)
def test_an_errcode_or_a_rank_out_of_range_is_unavailable(wechat, ranks, reply):
    wechat.script_api(RISK_RANK_PATH, reply)
    with pytest.raises(WeChatUnavailableError):
        ranks.rank("oUser1", "203.0.113.7")


def test_a_refused_token_is_renewed_once_and_the_call_repeated(wechat, ranks):
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "risk_rank": 1}))
    assert ranks.rank("oUser1", "203.0.113.7") == 1
    wechat.revoke_tokens()  # WeChat forgets the token the app holds: 40001, then a forced refresh
    wechat.script_api(RISK_RANK_PATH, Reply({"errcode": 0, "risk_rank": 2}))
    assert ranks.rank("oUser1", "203.0.113.7") == 2
    assert wechat.forced_fetches == 1 and len(wechat.api_calls_to(RISK_RANK_PATH)) == 3


def test_the_local_ranks_mark_only_risky_openids():
    local = LocalRiskRank()
    assert (local.rank("oUser1", "127.0.0.1"), local.rank("risky-1", "127.0.0.1")) == (0, 4)
    # `make dev`'s `dev:risky-li` login has this openid (identity/rules.py dev_login).
    assert (local.rank("dev-openid-risky-li", "127.0.0.1"), local.rank("dev-openid-li", "127.0.0.1")) == (
        4,
        0,
    )
