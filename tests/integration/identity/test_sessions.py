"""Sessions: two-hour tokens, logout, a ban or deletion ending every session of a user within the
revocation copy's refresh bound, and no read per request while the copy is fresh (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.identity.events import derive
from earnloop.identity.sessions import revoke_user, user_revocation
from earnloop.platform import aws
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE, utcnow
from earnloop.platform.dynamo import transact
from earnloop.platform.events import Change
from earnloop.platform.signing import session_key
from jwt.utils import base64url_decode, base64url_encode

from tests.integration.identity.checks import all_items
from tests.support.lambdas import assert_problem, call_http

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2027, 5, 4, 9, 58, 30, tzinfo=UTC)  # a refresh window crosses the 10:00 partition


class Clock:
    """The local stage's platform clock, moved as `earnloop clock` moves it (no sleeps)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self._file = tmp_path / "clock.json"
        monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(self._file))
        self.at(START)

    def at(self, moment: datetime) -> None:
        self.now = moment
        self._file.write_text(json.dumps({"offset_s": (moment - datetime.now(UTC)).total_seconds()}))

    def advance(self, seconds: float) -> None:
        """From the platform's now (real time passes between moves too)."""
        self.at(utcnow() + timedelta(seconds=seconds))


@pytest.fixture
def clock(moto_cloud, monkeypatch, tmp_path) -> Clock:
    return Clock(monkeypatch, tmp_path)


def login(name: str) -> tuple[str, str]:
    answer = call_http("auth_login", body={"code": f"dev:{name}"})
    assert answer.status == 200, answer.body
    return answer.json["user"]["id"], answer.json["token"]


def status_of(token: str) -> int:
    return call_http("me_get", token=token).status


def test_a_session_lives_two_hours_and_not_a_second_more(moto_cloud, clock) -> None:
    answer = call_http("auth_login", body={"code": "dev:alice"})
    assert answer.json["expires_in"] == moto_cloud.settings.token_ttl_s == 2 * 3600
    token = answer.json["token"]
    issued = json.loads(base64url_decode(token.split(".")[1]))["iat"]
    clock.at(datetime.fromtimestamp(issued + 2 * 3600 - 1, UTC))
    assert status_of(token) == 200
    clock.at(datetime.fromtimestamp(issued + 2 * 3600, UTC))
    assert_problem(call_http("me_get", token=token), 401, "unauthenticated")
    # The mini-program logs in again silently with a new wx.login code.
    assert status_of(login("alice")[1]) == 200


def test_logout_ends_that_session_within_the_refresh_bound_and_no_other(moto_cloud, clock) -> None:
    _, phone = login("alice")
    _, tablet = login("alice")
    assert status_of(phone) == status_of(tablet) == 200  # both containers' copies are fresh now

    answer = call_http("auth_logout", token=phone)
    assert (answer.status, answer.body) == (204, "")
    clock.advance(moto_cloud.settings.session_refresh_s)
    assert_problem(call_http("me_get", token=phone), 401, "unauthenticated")
    assert_problem(call_http("auth_logout", token=phone), 401, "unauthenticated")
    assert status_of(tablet) == 200
    # The revocation is a sparse item that expires with the tokens it could stop.
    [revoked] = [item for item in all_items() if item["pk"].startswith("REVOKED#")]
    assert revoked["kind"] == "session" and revoked["reason"] == "logout"
    assert revoked["expires_at"] > int((clock.now + timedelta(hours=2)).timestamp())
    assert derive(Change("identity", "INSERT", None, revoked)) == []  # nothing is published
    assert_problem(call_http("auth_logout"), 401, "unauthenticated")


def test_revoke_user_ends_every_session_of_that_user_only(moto_cloud, clock) -> None:
    alice, phone = login("alice")
    _, tablet = login("alice")
    _, bob = login("bob")
    clock.advance(10)
    revoke_user(alice, "banned", utcnow())
    clock.advance(moto_cloud.settings.session_refresh_s)

    for token in (phone, tablet):
        assert_problem(call_http("me_get", token=token), 401, "unauthenticated")
    assert status_of(bob) == 200
    # A session begun after the ban is not the revocation's (the ban's owner refuses the login).
    clock.advance(1)
    assert status_of(login("alice")[1]) == 200


def test_a_ban_revokes_in_its_own_transaction(moto_cloud, clock) -> None:
    """`user_revocation` rides in the banning context's TransactWriteItems (here a ban flag)."""
    carol, token = login("carol")
    at = utcnow()
    table = moto_cloud.settings.table_name("identity")
    ban = {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": f"USER#{carol}"}, "sk": {"S": "PROFILE"}},
            "UpdateExpression": "SET banned_at = :at",
            "ExpressionAttributeValues": {":at": {"S": at.isoformat()}},
        }
    }
    from earnloop.platform.dynamo import TxAction

    transact(aws.dynamodb(), [TxAction(ban), user_revocation(carol, "deleted", at)])
    clock.advance(moto_cloud.settings.session_refresh_s)
    assert_problem(call_http("me_get", token=token), 401, "unauthenticated")


class QueryCounter:
    """Counts the DynamoDB Queries of the revocation partitions the functions make."""

    def __init__(self) -> None:
        self.partitions: list[str] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        pk = params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", "")
        if pk.startswith("REVOKED#"):
            self.partitions.append(pk)


def test_a_request_with_a_fresh_copy_reads_no_revocation(moto_cloud, clock) -> None:
    _, token = login("alice")
    counter = QueryCounter()
    events = aws.dynamodb().meta.events
    events.register("provide-client-params.dynamodb.Query", counter)
    try:
        assert status_of(token) == 200  # a cold copy: the token lifetime's three hour partitions
        assert counter.partitions == [
            "REVOKED#2027-05-04T07",
            "REVOKED#2027-05-04T08",
            "REVOKED#2027-05-04T09",
        ]
        for _ in range(5):
            clock.advance(10)
            assert status_of(token) == 200
        assert len(counter.partitions) == 3  # fresh: no read at all
        clock.advance(moto_cloud.settings.session_refresh_s)  # now 10:00:20: both sides of the hour
        assert status_of(token) == 200
        assert counter.partitions[3:] == ["REVOKED#2027-05-04T09", "REVOKED#2027-05-04T10"]
    finally:
        events.unregister("provide-client-params.dynamodb.Query", counter)


def _tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = {**json.loads(base64url_decode(payload)), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return ".".join([header, base64url_encode(json.dumps(claims).encode()).decode(), signature])


def _signed(claims: dict[str, Any]) -> str:
    """Claims really signed by the session key: only their content can be wrong."""
    keys = session_key()
    header = {"alg": "ES256", "typ": "JWT", "kid": keys.signing_kid}
    parts = [base64url_encode(json.dumps(part).encode()) for part in (header, claims)]
    signing_input = b".".join(parts)
    return (signing_input + b"." + base64url_encode(keys.sign(signing_input))).decode()


def test_tampered_or_sessionless_tokens_are_401(moto_cloud, clock) -> None:
    alice, token = login("alice")
    call_http("auth_logout", token=token)
    now = int(clock.now.timestamp())
    base = {"sub": alice, "roles": [], "iss": "earnloop", "iat": now, "exp": now + 600}
    for bad in (
        _tampered(token, sid="another-session"),  # dodging the logout: the signature breaks
        _tampered(token, roles=["admin"]),
        _signed(base),  # no session id (a token from before sessions): log in again
        _signed({**base, "sid": 7}),
        _signed({**base, "sid": ""}),
        _signed({**base, "sid": "x" * 65}),
    ):
        assert_problem(call_http("me_get", token=bad), 401, "unauthenticated")
    assert status_of(_signed({**base, "sid": "fine"})) == 200
