"""`DELETE /v1/me` under moto: the one transaction (profile and WeChat links gone, tombstone put),
the old token refused, a new login a new user, and the identity worker's erasure of the rest of
the partition from `UserDeleted` (follows on both sides, tags, inbox), redelivered harmlessly."""

from __future__ import annotations

from typing import Any

import pytest
from earnloop.identity import erasure
from earnloop.identity.erasure_store import ErasureStore
from earnloop.identity.events import UserDeleted, derive
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.errors import ConcurrencyError
from earnloop.platform.events import Change

from tests.integration.identity.checks import all_items, stored
from tests.integration.identity.test_sessions import Clock
from tests.support.lambdas import assert_problem, call_http, drain, invoke, pump_stream, sqs_event

WANG = "01JDQ3Z8V7X6M5N4B3C2A1WANG"
ZHAO = "01JDQ3Z8V7X6M5N4B3C2A1ZHA0"


@pytest.fixture
def clock(moto_cloud, monkeypatch, tmp_path) -> Clock:
    """The platform clock, moved without sleeps (as in the sessions tests)."""
    return Clock(monkeypatch, tmp_path)


def login(code: str) -> dict[str, Any]:
    answer = call_http("auth_login", body={"code": code})
    assert answer.status == 200, answer.body
    return dict(answer.json)


def test_deleting_releases_the_wechat_identity_and_refuses_the_old_token(wechat, moto_cloud, clock):
    first = login("ok:o1:u1")
    user_id, token = first["user"]["id"], first["token"]
    assert call_http("me_update", token=token, body={"nickname": "小李"}).status == 200

    answer = call_http("me_delete", token=token)
    assert answer.status == 202 and answer.body == ""

    assert stored(f"USER#{user_id}", "PROFILE") is None
    assert stored("IDENT#wx_openid#o1", "IDENT") is None
    assert stored("IDENT#wx_unionid#u1", "IDENT") is None
    assert stored(f"USER#{user_id}", "DELETED")["user_id"] == user_id
    # The old token commands nothing at once: a second deletion, and any command's live-user
    # check (the profile is gone in the same transaction as the links).
    assert_problem(call_http("me_delete", token=token), 401, "unauthenticated")
    moto_cloud.register(WANG)
    follow = call_http("users_follow", token=token, path_parameters={"user_id": WANG})
    assert_problem(follow, 401, "unauthenticated")
    # And, once the token checkers' copy of the revocations is refreshed, reads neither.
    clock.advance(moto_cloud.settings.session_refresh_s)
    assert_problem(call_http("me_get", token=token), 401, "unauthenticated")
    assert_problem(call_http("notifications_list", token=token), 401, "unauthenticated")

    again = login("ok:o1:u1~again")
    assert again["user"]["is_new"] is True and again["user"]["id"] != user_id
    assert again["user"]["nickname"] is None
    assert stored("IDENT#wx_unionid#u1", "IDENT")["user_id"] == again["user"]["id"]


def test_a_unionid_linked_after_registration_is_released_too(wechat, moto_cloud):
    # Registered while the app gave no unionid; a later login links it (and the profile records it).
    user_id = login("ok:o2")["user"]["id"]
    token = login("ok:o2:u2~linked")["token"]
    assert stored(f"USER#{user_id}", "PROFILE")["wx_unionid"] == "u2"

    assert call_http("me_delete", token=token).status == 202
    assert stored("IDENT#wx_unionid#u2", "IDENT") is None and stored("IDENT#wx_openid#o2", "IDENT") is None
    assert login("ok:o2:u2~again")["user"]["is_new"] is True


def test_the_worker_erases_follows_tags_and_inbox_once_however_often_the_event_comes(
    wechat, moto_cloud, monkeypatch
) -> None:
    # One follow a round: the two follows take two rounds, as a person with thousands would take many.
    monkeypatch.setattr(erasure, "FOLLOWS_PER_ROUND", 1)
    me = login("ok:o3:u3")
    user_id, token = me["user"]["id"], me["token"]
    moto_cloud.register(WANG)
    moto_cloud.register(ZHAO)
    follow = {"path_parameters": {"user_id": WANG}}
    assert call_http("users_follow", token=token, **follow).status == 204
    back = call_http("users_follow", token=moto_cloud.token(ZHAO), path_parameters={"user_id": user_id})
    assert back.status == 204
    assert call_http("me_delete", token=token).status == 202

    pump_stream(moto_cloud.streams["identity"])
    deleted = [e for e in drain(moto_cloud.queues["tags"].main) if e["detail-type"] == "UserDeleted"]
    assert len(deleted) == 1 and deleted[0]["detail"]["user_id"] == user_id
    # The content and mall contexts get it too (their rules), to erase their parts.
    for queue in ("posts", "mall"):
        routed = [e for e in drain(moto_cloud.queues[queue].main) if e["detail-type"] == "UserDeleted"]
        assert [e["detail"]["user_id"] for e in routed] == [user_id]
    assert invoke("profile_tags", sqs_event("sqs/profile_tags.json", deleted[0])) == {"batchItemFailures": []}
    pump_stream(moto_cloud.streams["identity"])
    (continued,) = [
        e for e in drain(moto_cloud.queues["tags"].main) if e["detail-type"] == "IdentityErasureContinued"
    ]
    assert continued["detail"]["round"] == 1
    # Round 1 unties the second follow; redeliveries of either find nothing left and start no round 2.
    for body in (continued, continued, deleted[0]):
        assert invoke("profile_tags", sqs_event("sqs/profile_tags.json", body)) == {"batchItemFailures": []}
    pump_stream(moto_cloud.streams["identity"])
    rounds = {e["detail"]["round"] for e in drain(moto_cloud.queues["tags"].main) if "round" in e["detail"]}
    assert rounds == {1}

    left = sorted(item["sk"] for item in all_items() if item["pk"] == f"USER#{user_id}")
    assert left == ["DELETED", f"UNFOLLOWED#{WANG}"]
    assert stored(f"USER#{WANG}", f"FOLLOWER#{user_id}") is None
    assert stored(f"USER#{ZHAO}", f"FOLLOWING#{user_id}") is None
    assert stored(f"USER#{WANG}", "PROFILE")["follower_count"] == 0
    assert stored(f"USER#{ZHAO}", "PROFILE")["following_count"] == 0
    assert call_http("me_get", token=moto_cloud.token(ZHAO)).json["following"] == 0


def test_user_deleted_is_derived_from_the_tombstone_only():
    tombstone = {
        "pk": "USER#u",
        "sk": "DELETED",
        "entity": "UserDeletion",
        "user_id": "u",
        "deleted_at": "2026-12-02T10:00:00.000Z",
    }
    events = derive(Change("identity", "INSERT", None, tombstone))
    assert events == [UserDeleted(user_id="u", deleted_at="2026-12-02T10:00:00.000Z")]
    assert derive(Change("identity", "MODIFY", tombstone, tombstone)) == []
    profile = {"pk": "USER#u", "sk": "PROFILE", "entity": "User", "user_id": "u", "created_at": "x"}
    assert derive(Change("identity", "REMOVE", profile, None)) == []


def test_a_unionid_linked_between_the_read_and_the_deletion_fails_it_whole(wechat, moto_cloud):
    user_id = login("ok:o4")["user"]["id"]
    table = moto_cloud.settings.table_name("identity")
    store, erasure = IdentityStore(aws.dynamodb(), table), ErasureStore(aws.dynamodb(), table)
    stale = store.get_user(user_id)
    assert stale is not None and stale.wx_unionid is None
    # A login of the same person links the unionid meanwhile.
    assert store.link("wx_unionid", "u4", user_id, "2026-12-02T10:00:00.000Z") == user_id

    with pytest.raises(ConcurrencyError):
        erasure.delete_account(stale, "2026-12-02T10:00:01.000Z")
    assert stored(f"USER#{user_id}", "PROFILE") is not None and stored("IDENT#wx_openid#o4", "IDENT")
    assert stored(f"USER#{user_id}", "DELETED") is None

    fresh = store.get_user(user_id)
    assert fresh is not None and fresh.wx_unionid == "u4"
    erasure.delete_account(fresh, "2026-12-02T10:00:02.000Z")
    assert stored("IDENT#wx_unionid#u4", "IDENT") is None and stored("IDENT#wx_openid#o4", "IDENT") is None
