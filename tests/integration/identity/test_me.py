"""`GET /v1/me` and `PATCH /v1/me` through their Lambda handlers under moto."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from earnloop.platform.clock import utcnow

from tests.integration.identity.checks import stored
from tests.support.lambdas import assert_problem, call_http


@pytest.fixture
def alice(moto_cloud) -> tuple[str, str]:
    """A registered user (through the local development login): her id and token."""
    body = call_http("auth_login", body={"code": "dev:alice"}).json
    return body["user"]["id"], body["token"]


def test_me_shows_the_profile_with_no_tags_and_no_points_yet(alice):
    user_id, token = alice
    response = call_http("me_get", token=token)
    assert response.status == 200
    assert response.json == {
        "id": user_id,
        "nickname": "alice",
        "avatar_url": None,
        "tier": "bronze",
        "tags": [],
        "points": {"balance": 0, "expiring_soon": 0},
        "unread_notifications": 0,
        "followers": 0,
        "following": 0,
    }


AVATAR = "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTL/132"


def test_a_profile_update_is_stored_and_returned(alice):
    user_id, token = alice
    response = call_http(
        "me_update",
        token=token,
        body={"nickname": "  Xiao Li ", "avatar_url": AVATAR},
    )
    assert response.status == 200
    expected = {
        "id": user_id,
        "nickname": "Xiao Li",
        "avatar_url": AVATAR,
        "tier": "bronze",
    }
    assert response.json == expected
    user = stored(f"USER#{user_id}", "PROFILE")
    assert user is not None and user["nickname"] == "Xiao Li" and user["updated_at"].endswith("Z")
    assert user["roles"] == [] and user["entity"] == "User"
    assert call_http("me_get", token=token).json["nickname"] == "Xiao Li"


def test_the_sample_update_event_changes_the_profile(alice):
    _, token = alice
    response = call_http("me_update", token=token)
    assert response.status == 200 and response.json["nickname"] == "Xiao Li"


def test_fields_not_sent_stay_as_they_are(alice):
    _, token = alice
    call_http("me_update", token=token, body={"avatar_url": AVATAR})
    response = call_http("me_update", token=token, body={"nickname": "Li"})
    assert response.json["avatar_url"] == AVATAR
    assert call_http("me_update", token=token, body={}).json == response.json


def test_null_clears_a_field(alice):
    user_id, token = alice
    call_http("me_update", token=token, body={"avatar_url": AVATAR})
    response = call_http("me_update", token=token, body={"avatar_url": None})
    assert (response.status, response.json["avatar_url"], response.json["nickname"]) == (200, None, "alice")
    user = stored(f"USER#{user_id}", "PROFILE")
    assert user is not None and "avatar_url" not in user and user["nickname"] == "alice"
    cleared = call_http("me_update", token=token, body={"nickname": None})
    assert cleared.json["nickname"] is None
    assert call_http("me_get", token=token).json["nickname"] is None


def test_nicknames_are_stored_normalised(alice):
    _, token = alice
    styled = "\uff2c\uff49\u3000\u3000\U0001d417\U0001d422\U0001d41a\U0001d428"  # fullwidth, bold
    response = call_http("me_update", token=token, body={"nickname": styled})
    assert (response.status, response.json["nickname"]) == (200, "Li Xiao")


BAD_UPDATES = [
    {"nickname": ""},
    {"nickname": "   "},
    {"nickname": "x" * 33},
    {"nickname": "小" * 17},
    {"nickname": "admin\u202egnp.exe"},
    {"nickname": "Li\u200b"},
    {"nickname": "\ufeffLi"},
    {"nickname": "Li\u2028Wang"},
    {"nickname": "\u115f"},
    {"nickname": "\u3164\u3164"},
    {"nickname": "Li\u0000"},
    {"nickname": None, "tier": "gold"},
    {"roles": ["admin"]},
    {"avatar_url": "http://thirdwx.qlogo.cn/mmopen/a/132"},
    {"avatar_url": "https://thirdwx.qlogo.cn/" + "a" * 500},
    {"avatar_url": "https://img.example.com/a.png"},
    {"avatar_url": "https://169.254.169.254/latest/meta-data/"},
    {"avatar_url": "https://user:pw@thirdwx.qlogo.cn/mmopen/a/132"},
    {"avatar_url": "https://thirdwx.qlogo.cn@evil.example/a.png"},
    {"avatar_url": "https://thirdwx.qlogo.cn\u0000.evil.example/a.png"},
    {"avatar_url": "https://thirdwx.qlogo.cn:8443/mmopen/a/132"},
    {"avatar_url": "https://[::1]/a.png"},
    {"avatar_url": 5},
    [],
    "{not json",
]


def test_a_bad_update_is_422_and_changes_nothing(alice):
    user_id, token = alice
    for body in BAD_UPDATES:
        response = call_http("me_update", token=token, body=body)
        assert response.status == 422, body
        assert_problem(response, 422, "validation_error")
    user = stored(f"USER#{user_id}", "PROFILE")
    assert user is not None and user["nickname"] == "alice" and user["roles"] == []


@pytest.mark.parametrize("name", ["me_get", "me_update"])
def test_a_missing_token_is_401(moto_cloud, name):
    assert_problem(call_http(name), 401, "unauthenticated")


@pytest.mark.parametrize("name", ["me_get", "me_update"])
def test_a_garbage_forged_or_expired_token_is_401(alice, moto_cloud, name):
    user_id, _ = alice
    now = int(utcnow().timestamp())
    forged = jwt.encode(
        {"sub": user_id, "roles": [], "iss": "earnloop", "iat": now, "exp": now + 600},
        "k" * 48,
        algorithm="HS256",
    )
    expired = moto_cloud.token(user_id, now=utcnow() - timedelta(seconds=moto_cloud.settings.token_ttl_s + 1))
    for token in ("garbage", forged, expired):
        assert_problem(call_http(name, token=token, body={"nickname": "x"}), 401, "unauthenticated")


@pytest.mark.parametrize("name", ["me_get", "me_update"])
def test_a_valid_token_of_an_unknown_user_is_404(moto_cloud, name):
    assert_problem(
        call_http(name, token=moto_cloud.token("nobody", registered=False), body={"nickname": "x"}),
        404,
        "not_found",
    )
