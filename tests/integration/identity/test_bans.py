"""Bans: an admin's ban ends every session of the user and refuses their logins (403, saying why and
until when), in one transaction with its audit record; an unban lets them log in again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from earnloop.platform import sessions
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE, iso, utcnow

from tests.conftest import MotoCloud, provisioned_moto
from tests.support.lambdas import assert_problem, call_http

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def cloud() -> Iterator[MotoCloud]:
    # One cloud for the module: each test bans users of its own.
    with provisioned_moto() as moto:
        yield moto


def login(name: str):
    return call_http("auth_login", body={"code": f"dev:{name}"})


def ban(cloud: MotoCloud, user_id: str, **body: object):
    token = cloud.token("ban-admin", "admin")
    return call_http("admin_users_ban", token=token, path_parameters={"user_id": user_id}, body=body)


def unban(cloud: MotoCloud, user_id: str, **body: object):
    token = cloud.token("ban-admin", "admin")
    return call_http("admin_users_unban", token=token, path_parameters={"user_id": user_id}, body=body)


def test_a_ban_refuses_login_and_old_tokens_and_an_unban_lets_the_user_back(
    cloud: MotoCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = login("ban-xiaoli").json
    user_id, old_token = first["user"]["id"], first["token"]
    assert call_http("me_get", token=old_token).status == 200

    answer = ban(cloud, user_id, reason="sold farmed points")
    assert answer.status == 200
    assert answer.json["banned"] and answer.json["reason"] == "sold farmed points"
    assert "until" not in answer.json

    refused = assert_problem(login("ban-xiaoli"), 403, "forbidden")
    assert refused["reason"] == "banned" and refused["ban_reason"] == "sold farmed points"
    assert "banned" in refused["detail"] and "banned_until" not in refused
    sessions.forget()  # the token checkers' copy of the revocations refreshed (<= 60 s)
    assert_problem(call_http("me_get", token=old_token), 401, "unauthenticated")

    lifted = unban(cloud, user_id, reason="appeal accepted")
    assert lifted.status == 200 and lifted.json == {"user_id": user_id, "banned": False}
    # A revocation stops tokens issued in its second too: the next login is a second later.
    clock = tmp_path / "clock.json"
    clock.write_text(json.dumps({"offset_s": 1.5}))
    monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(clock))
    again = login("ban-xiaoli")
    assert again.status == 200 and again.json["user"]["id"] == user_id
    assert call_http("me_get", token=again.json["token"]).status == 200
    assert_problem(call_http("me_get", token=old_token), 401, "unauthenticated")  # stays revoked

    audit = call_http("admin_audit_list", token=cloud.token("ban-admin", "admin"), query={"target": user_id})
    assert [(i["context"], i["action"], i["actor"], i["reason"]) for i in audit.json["items"]] == [
        ("identity", "unban", "admin:ban-admin", "appeal accepted"),
        ("identity", "ban", "admin:ban-admin", "sold farmed points"),
    ]
    ban_record = audit.json["items"][1]
    assert ban_record["before"] == {"banned": False}
    assert ban_record["after"]["banned"] is True and ban_record["after"]["reason"] == "sold farmed points"


def test_a_ban_with_an_end_says_until_when_and_ends_by_itself(cloud: MotoCloud) -> None:
    user_id = login("ban-until").json["user"]["id"]
    until = utcnow() + timedelta(days=3)
    answer = ban(cloud, user_id, reason="spam", until=until.isoformat())
    assert answer.status == 200 and answer.json["until"] == iso(until)
    refused = assert_problem(login("ban-until"), 403, "forbidden")
    assert refused["banned_until"] == iso(until) and iso(until) in refused["detail"]

    from earnloop.identity import rules
    from earnloop.identity.store import IdentityStore
    from earnloop.platform import aws

    user = IdentityStore(aws.dynamodb(), cloud.settings.table_name("identity")).get_user(user_id)
    assert user is not None
    assert rules.ban_in_force(user, until - timedelta(seconds=1))
    assert not rules.ban_in_force(user, until)


def test_bad_bans_change_nothing(cloud: MotoCloud) -> None:
    user_id = login("ban-bad").json["user"]["id"]
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    assert_problem(ban(cloud, user_id, reason="x", until=past), 422, "validation_error")
    assert_problem(ban(cloud, user_id, reason=""), 422, "validation_error")
    assert_problem(ban(cloud, "ban-admin", reason="me"), 422, "validation_error")
    assert_problem(ban(cloud, "no-such-user", reason="x"), 404, "not_found")
    not_banned = unban(cloud, user_id)
    assert not_banned.json == {"user_id": user_id, "banned": False}
    assert login("ban-bad").status == 200
    audit = call_http("admin_audit_list", token=cloud.token("ban-admin", "admin"), query={"target": user_id})
    assert audit.json["items"] == []


def test_a_user_token_cannot_ban_or_unban(cloud: MotoCloud) -> None:
    victim = login("ban-victim").json["user"]["id"]
    mallory = cloud.token("ban-mallory")
    for name in ("admin_users_ban", "admin_users_unban"):
        answer = call_http(name, token=mallory, path_parameters={"user_id": victim}, body={"reason": "x"})
        assert_problem(answer, 403, "forbidden")
    assert login("ban-victim").status == 200
