"""`POST /v1/auth/login` through its Lambda handler under moto, with WeChat faked on loopback."""

from __future__ import annotations

import json
import threading

import pytest
from earnloop.identity import service
from earnloop.identity.models import User, WeChatIdentity
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.auth import verify_token
from earnloop.platform.clock import utcnow
from earnloop.platform.ids import new_id
from earnloop.platform.settings import get_settings

from tests.fakes.wechat_server import session_key_of
from tests.integration.identity.checks import all_items, stored
from tests.support.lambdas import assert_problem, call_http


def login(code: str, **extra: str):
    return call_http("auth_login", body={"code": code, **extra})


def test_a_first_wechat_login_registers_the_user_with_both_identities(wechat):
    response = login("ok:o1:u1")

    assert response.status == 200
    body = response.json
    user_id = body["user"]["id"]
    assert body["user"] == {
        "id": user_id,
        "nickname": None,
        "avatar_url": None,
        "tier": "bronze",
        "is_new": True,
    }
    assert body["expires_in"] == get_settings().token_ttl_s
    assert verify_token(body["token"]).user_id == user_id
    user = stored(f"USER#{user_id}", "PROFILE")
    assert user is not None
    assert user["entity"] == "User" and user["tier"] == "bronze" and user["roles"] == []
    assert user["wx_openid"] == "o1" and user["created_at"].endswith("Z")
    for pk in ("IDENT#wx_unionid#u1", "IDENT#wx_openid#o1"):
        link = stored(pk, "IDENT")
        assert link is not None and link["entity"] == "Identity" and link["user_id"] == user_id


def test_the_session_key_is_never_returned_or_stored(wechat):
    response = login("ok:o1:u1")
    assert session_key_of("o1") not in response.body
    assert session_key_of("o1") not in json.dumps(all_items())


def test_logging_in_again_is_the_same_user_and_not_new(wechat):
    first = login("ok:o1:u1~first").json["user"]
    second = login("ok:o1:u1~second").json["user"]
    assert second["id"] == first["id"] and not second["is_new"]
    assert len([item for item in all_items() if item["entity"] == "User"]) == 1


def test_a_unionid_appearing_later_is_linked_to_the_openid_user(wechat):
    first = login("ok:o1~before-binding").json["user"]
    assert stored("IDENT#wx_unionid#u1", "IDENT") is None

    second = login("ok:o1:u1~after-binding").json["user"]

    assert second["id"] == first["id"] and not second["is_new"]
    link = stored("IDENT#wx_unionid#u1", "IDENT")
    assert link is not None and link["user_id"] == first["id"]


def test_an_invalid_code_is_401_and_registers_nobody(wechat):
    assert_problem(login("err:40029"), 401, "unauthenticated")
    assert_problem(login("never-issued"), 401, "unauthenticated")
    assert all_items() == []


def test_a_used_code_is_401(wechat):
    assert login("ok:o1").status == 200
    assert_problem(login("ok:o1"), 401, "unauthenticated")


def test_wechat_rate_limiting_is_429_with_retry_after(wechat):
    response = login("err:45011")
    assert_problem(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "60"


def test_a_failing_wechat_is_503_wechat_unavailable(wechat):
    for code in ("err:-1", "slow:30:o1", "http:502", "garbage:", "err:40226"):
        response = login(code)
        assert response.status == 503, code
        assert_problem(response, 503, "wechat_unavailable")
    assert all_items() == []


def test_system_busy_once_is_retried_and_the_login_succeeds(wechat):
    response = login("busy:1:o1")
    assert response.status == 200 and response.json["user"]["is_new"]
    assert wechat.calls("busy:1:o1") == 2


def test_an_unreachable_wechat_is_503(wechat, monkeypatch):
    wechat.stop()
    monkeypatch.setenv("EARNLOOP_WECHAT_API_BASE", wechat.base_url)
    assert_problem(login("ok:o1"), 503, "wechat_unavailable")


def test_a_referral_token_is_kept_on_the_new_user_only(wechat):
    user_id = login("ok:o1~a", referral_token="ref-1").json["user"]["id"]
    login("ok:o1~b", referral_token="ref-2")
    user = stored(f"USER#{user_id}", "PROFILE")
    assert user is not None and user["referral_token"] == "ref-1"


BAD_BODIES = [
    {},
    {"code": ""},
    {"code": "x" * 129},
    {"code": "a b"},
    {"code": 42},
    {"code": "ok", "referral_token": "r" * 129},
    "{not json",
]


def test_a_bad_body_is_422_and_never_reaches_wechat(wechat):
    for body in BAD_BODIES:
        response = call_http("auth_login", body=body)
        assert response.status == 422, body
        assert_problem(response, 422, "validation_error")
    assert wechat.requests == []


# The local stage's development login.


def test_a_dev_code_logs_in_a_stable_local_user_without_wechat(wechat):
    first = login("dev:alice")
    second = login("dev:alice")

    assert first.status == 200 and first.json["user"]["is_new"]
    assert first.json["user"]["nickname"] == "alice"
    assert second.json["user"]["id"] == first.json["user"]["id"] and not second.json["user"]["is_new"]
    assert stored("IDENT#wx_openid#dev-openid-alice", "IDENT") is not None
    assert stored("IDENT#wx_unionid#dev-unionid-alice", "IDENT") is not None
    assert wechat.requests == []


def test_dev_admin_is_an_admin(wechat):
    body = login("dev:admin").json
    assert verify_token(body["token"]).is_admin
    user = stored(f"USER#{body['user']['id']}", "PROFILE")
    assert user is not None and user["roles"] == ["admin"]


def test_the_sample_event_logs_in_locally(wechat):
    response = call_http("auth_login")
    assert response.status == 200 and response.json["user"]["nickname"] == "alice"


def test_a_malformed_dev_code_is_401_locally(wechat):
    assert_problem(login("dev:bad.name"), 401, "unauthenticated")
    assert wechat.requests == []


@pytest.mark.parametrize("stage", ["prod", "staging"])
def test_dev_codes_are_refused_in_every_other_stage(wechat, set_stage, stage):
    set_stage(stage)
    for code in ("dev:alice", "dev:admin", "dev:bad.name"):
        assert_problem(login(code), 401, "unauthenticated")
    assert all_items() == [] and wechat.requests == []


def test_wechat_logins_work_in_a_deployed_stage(wechat, set_stage):
    set_stage("prod")
    assert login("ok:o1:u1").json["user"]["is_new"]


# Races.


class RacingStore(IdentityStore):
    """Holds each first login at its transaction until every racer has looked up and missed, then lets
    the transactions through one at a time, as DynamoDB serializes them (moto does not)."""

    def __init__(self, racers: int) -> None:
        super().__init__(aws.dynamodb(), get_settings().table_name("identity"))
        self.missed = threading.Barrier(racers, timeout=10)
        self.commit = threading.Lock()

    def create_user(self, user, links):  # type: ignore[no-untyped-def]
        self.missed.wait()
        with self.commit:
            super().create_user(user, links)


@pytest.mark.parametrize(
    "identities",
    [
        [WeChatIdentity(openid="o1", unionid="u1")] * 2,
        [WeChatIdentity(openid="o1", unionid="u1")] * 4,
        [WeChatIdentity(openid="o1", unionid="u1"), WeChatIdentity(openid="o1")],
        [WeChatIdentity(openid="o1"), WeChatIdentity(openid="o1", unionid="u1")],
    ],
    ids=["two", "four", "unionid-wins", "openid-only-wins"],
)
def test_simultaneous_first_logins_make_exactly_one_user(moto_cloud, identities):
    store = RacingStore(len(identities))
    results: list[tuple[User, bool]] = []
    failures: list[BaseException] = []

    def first_login(identity: WeChatIdentity) -> None:
        try:
            results.append(service.resolve_user(store, identity, utcnow(), make_id=new_id))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=first_login, args=(identity,)) for identity in identities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert len({user.user_id for user, _ in results}) == 1
    assert [is_new for _, is_new in results].count(True) == 1
    [user] = [item for item in all_items() if item["entity"] == "User"]
    links = {item["pk"]: item["user_id"] for item in all_items() if item["entity"] == "Identity"}
    assert links == {"IDENT#wx_unionid#u1": user["user_id"], "IDENT#wx_openid#o1": user["user_id"]}


def test_a_wechat_secret_the_operator_has_not_filled_yet_is_503_not_a_crash(wechat, monkeypatch):
    from earnloop.platform.secrets import reset_cache

    # What a deploy creates (infra/secrets.py): the secret exists, with no value at all.
    aws.client("secretsmanager").create_secret(Name="earnloop/prod/wechat-unfilled")
    monkeypatch.setenv("EARNLOOP_SECRETS", json.dumps({"wechat": "earnloop/prod/wechat-unfilled"}))
    get_settings.cache_clear()
    reset_cache()

    assert_problem(login("ok:o1"), 503, "wechat_unavailable")
    assert all_items() == []
    reset_cache()
