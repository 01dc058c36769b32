"""Pure identity rules and the request shapes' validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from earnloop.identity.models import LoginRequest, ProfileUpdate, TagCount, WeChatIdentity
from earnloop.identity.rules import (
    MAX_TAGS_PER_SCAN,
    dev_login,
    links_of,
    new_user,
    scan_guard_expiry,
    tags_to_count,
    top_tags,
)
from earnloop.platform.errors import UnauthenticatedError
from pydantic import ValidationError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_dev_code_in_the_local_stage_names_a_stable_user_by_name():
    login = dev_login("dev:alice", is_local=True)
    assert login is not None
    assert login.identity == WeChatIdentity(openid="dev-openid-alice", unionid="dev-unionid-alice")
    assert login.roles == frozenset() and login.nickname == "alice"


def test_dev_admin_gets_the_admin_role():
    login = dev_login("dev:admin", is_local=True)
    assert login is not None and login.roles == {"admin"}


def test_a_code_that_is_not_a_dev_code_goes_to_wechat():
    assert dev_login("081abcDEF", is_local=True) is None
    assert dev_login("081abcDEF", is_local=False) is None


@pytest.mark.parametrize("code", ["dev:alice", "dev:admin", "dev:", "dev:a b"])
def test_every_dev_code_is_refused_outside_the_local_stage(code):
    with pytest.raises(UnauthenticatedError, match="refused in this stage"):
        dev_login(code, is_local=False)


@pytest.mark.parametrize(
    "code", ["dev:", "dev:a b", "dev:a.b", "dev:" + "a" * 65, "dev:al\nice", "dev:ålice"]
)
def test_a_malformed_dev_code_is_refused_locally_too(code):
    with pytest.raises(UnauthenticatedError):
        dev_login(code, is_local=True)


def test_the_unionid_is_looked_up_before_the_openid():
    assert links_of(WeChatIdentity(openid="o1", unionid="u1")) == [("wx_unionid", "u1"), ("wx_openid", "o1")]
    assert links_of(WeChatIdentity(openid="o1")) == [("wx_openid", "o1")]


def test_a_new_user_starts_bronze_with_its_openid_and_referral():
    user = new_user("U1", WeChatIdentity(openid="o1"), NOW, roles=["admin", "admin"], referral_token="r1")
    assert user.tier == "bronze" and user.roles == ["admin"]
    assert user.created_at == "2026-11-23T09:00:00.000Z"
    assert user.wx_openid == "o1" and user.referral_token == "r1"


def test_top_tags_are_by_count_then_most_recent_then_name_and_at_most_twenty():
    tags = [TagCount(tag=f"t{i:02d}", count=1, last_seen="2026-01-01T00:00:00.000Z") for i in range(30)]
    tags += [
        TagCount(tag="fan", count=5, last_seen="2026-01-01T00:00:00.000Z"),
        TagCount(tag="new", count=2, last_seen="2026-03-01T00:00:00.000Z"),
        TagCount(tag="old", count=2, last_seen="2026-02-01T00:00:00.000Z"),
    ]
    ranked = top_tags(tags)
    assert ranked[:5] == ["fan", "new", "old", "t00", "t01"]
    assert len(ranked) == 20


def test_a_scans_tags_are_counted_once_each_and_blanks_are_ignored():
    counted, dropped = tags_to_count(["yogurt", " yogurt ", "", "  ", "fan"])
    assert counted == ["yogurt", "fan"] and dropped == []


def test_tags_beyond_one_transaction_are_dropped():
    counted, dropped = tags_to_count([f"t{i}" for i in range(MAX_TAGS_PER_SCAN + 3)])
    assert len(counted) == MAX_TAGS_PER_SCAN and len(dropped) == 3


def test_a_scan_guard_outlives_the_queue_and_its_dead_letter_queue():
    assert scan_guard_expiry(NOW) - int(NOW.timestamp()) >= 18 * 24 * 3600


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": ""},
        {"code": "a" * 129},
        {"code": "has space"},
        {"code": "\u0000"},
        {"code": "码"},
        {"code": 12},
        {"code": "ok", "referral_token": "r" * 129},
        {"code": "ok", "referral_token": ""},
    ],
)
def test_a_login_body_that_cannot_hold_a_wx_login_code_is_invalid(body):
    with pytest.raises(ValidationError):
        LoginRequest.model_validate(body)


def test_a_nickname_is_stripped():
    assert ProfileUpdate.model_validate({"nickname": "  Xiao Li  "}).nickname == "Xiao Li"
    # 16 Chinese characters fill the 32 columns a nickname may take.
    assert ProfileUpdate.model_validate({"nickname": "小李" * 8}).nickname == "小李" * 8


def test_fields_sent_as_null_are_cleared_and_fields_not_sent_are_left():
    assert ProfileUpdate.model_validate({"avatar_url": None}).changes() == {"avatar_url": None}
    assert ProfileUpdate.model_validate({"nickname": "Li"}).changes() == {"nickname": "Li"}
    assert ProfileUpdate.model_validate({}).changes() == {}


@pytest.mark.parametrize(
    "body",
    [
        {"nickname": ""},
        {"nickname": "   "},
        {"nickname": "x" * 33},
        {"nickname": "bad\u0007bell"},
        {"nickname": "小李" * 9},
        {"nickname": "admin\u202egnp.exe"},
        {"nickname": 7},
        {"avatar_url": "http://example.com/a.png"},
        {"avatar_url": "https://"},
        {"avatar_url": "javascript:alert(1)"},
        {"avatar_url": "https://example.com/a b.png"},
        {"avatar_url": "https://example.com/" + "a" * 493},
        {"tier": "gold"},
    ],
)
def test_a_bad_profile_update_is_invalid(body):
    with pytest.raises(ValidationError):
        ProfileUpdate.model_validate(body)


def test_an_avatar_url_of_512_characters_is_accepted():
    url = "https://example.com/" + "a" * 492
    assert len(url) == 512
    assert ProfileUpdate.model_validate({"avatar_url": url}).avatar_url == url
