"""`/wechat/push` through its Lambda handler: the URL handshake, signed pushes in plaintext and safe
mode, forged and replayed ones, unknown events, and one verdict per trace id."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from earnloop.local.samples import http_event
from earnloop.platform import aws
from earnloop.platform.events import Change
from earnloop.wechat.events import MediaCheckVerdict, derive
from earnloop.wechat.push_crypto import encrypt

from tests.fakes.wechat_push import media_check, sha1, signed_push, signed_query
from tests.support.lambdas import HttpAnswer, all_items, assert_problem, http_answer, invoke, pump_stream


class Push:
    """WeChat's side of the conversation: the Token, the key and the app it signs and encrypts for."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.token = cloud.secret_values["wechat_push"]["token"]
        self.aes_key = cloud.secret_values["wechat_push"]["encoding_aes_key"]
        self.app_id = cloud.secret_values["wechat"]["app_id"]

    def query(
        self, *, timestamp: int | None = None, nonce: str | None = None, encrypted: str | None = None
    ) -> dict[str, str]:
        return signed_query(self.token, timestamp=timestamp, nonce=nonce, encrypted=encrypted)

    def send(self, method: str, query: dict[str, str], body: str | None = None) -> HttpAnswer:
        event = http_event("apigw/wechat_push.json", query=query)
        event["requestContext"]["http"]["method"] = method
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} /wechat/push"
        event["body"] = body
        return http_answer(invoke("wechat_push", event))

    def plain(self, message: dict[str, Any], **query: Any) -> HttpAnswer:
        return self.send("POST", self.query(**query), json.dumps(message))

    def safe(self, message: dict[str, Any], *, app_id: str | None = None) -> HttpAnswer:
        key, app = self.aes_key, app_id or self.app_id
        query, body = signed_push(message, token=self.token, aes_key=key, app_id=app)
        return self.send("POST", query, body)

    def items(self, entity: str | None = None) -> list[dict[str, Any]]:
        items = all_items(self.cloud.settings.table_name("wechat"))
        return [i for i in items if entity is None or i.get("entity") == entity]


@pytest.fixture
def wechat_push(moto_cloud: Any) -> Push:
    return Push(moto_cloud)


def test_the_url_handshake_answers_echostr_only_to_our_token(wechat_push):
    query = wechat_push.query() | {"echostr": "7339287315283718371"}
    answer = wechat_push.send("GET", query)
    assert answer.status == 200 and answer.body == "7339287315283718371"

    forged = query | {"signature": sha1("not-our-token", query["timestamp"], query["nonce"])}
    assert_problem(wechat_push.send("GET", forged), 401, "unauthenticated")
    stale = wechat_push.query(timestamp=int(time.time()) - 3600) | {"echostr": "1"}
    assert_problem(wechat_push.send("GET", stale), 401, "unauthenticated")


def test_a_plaintext_verdict_is_stored_once_and_becomes_media_check_verdict(wechat_push, moto_cloud):
    answer = wechat_push.plain(media_check("trace-1", "risky", 20002))

    assert answer.status == 200 and answer.body == "success"
    [verdict] = wechat_push.items("MediaCheckVerdict")
    assert verdict["pk"] == "VERDICT#trace-1"
    assert (verdict["outcome"], verdict["label"], verdict["openid"]) == (
        "reject",
        20002,
        "oUser0000000000000000000001",
    )
    assert len(wechat_push.items("PushNonce")) == 1
    [event] = derive(Change("wechat", "INSERT", None, verdict))
    assert isinstance(event, MediaCheckVerdict)
    assert event.model_dump() == {
        "trace_id": "trace-1",
        "outcome": "reject",
        "label": 20002,
        "openid": "oUser0000000000000000000001",
        "errcode": 0,
    }
    assert derive(Change("wechat", "MODIFY", verdict, verdict)) == []
    pump_stream(moto_cloud.streams["wechat"])  # the publisher knows the table and what it means


@pytest.mark.parametrize(
    ("suggest", "outcome"), [("pass", "pass"), ("review", "review"), ("risky", "reject")]
)
def test_a_safe_mode_verdict_is_decrypted_and_mapped(wechat_push, suggest, outcome):
    answer = wechat_push.safe(media_check(f"trace-{suggest}", suggest))
    assert (answer.status, answer.body) == (200, "success")
    [verdict] = wechat_push.items("MediaCheckVerdict")
    assert verdict["trace_id"] == f"trace-{suggest}" and verdict["outcome"] == outcome


def test_a_check_wechat_could_not_do_goes_to_review(wechat_push):
    message = media_check("trace-dl", errcode=-1008, errmsg="download error")
    del message["result"]
    assert wechat_push.plain(message).status == 200
    [verdict] = wechat_push.items("MediaCheckVerdict")
    assert (verdict["outcome"], verdict["errcode"]) == ("review", -1008)


def test_forged_pushes_are_refused_and_write_nothing(wechat_push):
    message = json.dumps(media_check("trace-forged", "pass"))
    query = wechat_push.query()
    forged = query | {"signature": sha1("guessed-token", query["timestamp"], query["nonce"])}
    assert_problem(wechat_push.send("POST", forged, message), 401, "unauthenticated")
    assert_problem(
        wechat_push.send("POST", {k: v for k, v in query.items() if k != "signature"}, message),
        401,
        "unauthenticated",
    )

    encrypted = encrypt(message.encode(), wechat_push.aes_key, wechat_push.app_id)
    signed = wechat_push.query(encrypted=encrypted)
    tampered = encrypted[:-8] + ("A" if encrypted[-8] != "A" else "B") + encrypted[-7:]
    envelope = json.dumps({"Encrypt": tampered})
    assert_problem(wechat_push.send("POST", signed, envelope), 401, "unauthenticated")
    # Signed with our Token but encrypted for another app (or with another key).
    assert_problem(
        wechat_push.safe(media_check("trace-other-app"), app_id="wx-another-app"), 401, "unauthenticated"
    )
    assert wechat_push.items() == []


def test_a_replayed_push_changes_nothing_and_a_stale_one_is_refused(wechat_push):
    query = wechat_push.query()
    body = json.dumps(media_check("trace-replayed", "pass"))
    assert wechat_push.send("POST", query, body).status == 200
    before = wechat_push.items()

    # The same signed request again (WeChat retrying, or someone who captured it).
    again = wechat_push.send("POST", query, body)
    assert (again.status, again.body) == (200, "success")
    # Its signature and nonce with another body: only a plaintext push's body is unsigned.
    other = wechat_push.send("POST", query, json.dumps(media_check("trace-swapped", "pass")))
    assert other.status == 200
    assert wechat_push.items() == before

    old = wechat_push.query(timestamp=int(time.time()) - 301)
    assert_problem(
        wechat_push.send("POST", old, json.dumps(media_check("trace-old"))), 401, "unauthenticated"
    )
    assert [i["trace_id"] for i in wechat_push.items("MediaCheckVerdict")] == ["trace-replayed"]


def test_a_verdict_pushed_again_with_a_new_nonce_is_answered_without_a_second_write(wechat_push):
    assert wechat_push.plain(media_check("trace-twice", "pass")).status == 200
    [first] = wechat_push.items("MediaCheckVerdict")

    again = wechat_push.safe(media_check("trace-twice", "risky"))

    assert (again.status, again.body) == (200, "success")
    assert wechat_push.items("MediaCheckVerdict") == [first]


def test_an_event_nobody_handles_is_answered_and_ignored(wechat_push):
    message = {"MsgType": "event", "Event": "some_future_event", "FromUserName": "o1", "CreateTime": 1}
    assert (wechat_push.plain(message).status, wechat_push.safe(message).status) == (200, 200)
    assert wechat_push.items() == []


def test_bodies_that_are_not_json_objects_are_refused(wechat_push):
    assert wechat_push.send("POST", wechat_push.query(), "<xml><MsgType>event</MsgType></xml>").status == 422
    assert wechat_push.send("POST", wechat_push.query(), "[1, 2]").status == 422
    no_trace = media_check("x")
    del no_trace["trace_id"]
    assert wechat_push.plain(no_trace).status == 422
    assert wechat_push.items() == []


def test_until_the_operator_fills_the_push_secret_the_endpoint_is_unavailable(wechat_push, moto_cloud):
    aws.client("secretsmanager").put_secret_value(
        SecretId=moto_cloud.settings.secret_id("wechat_push"), SecretString="{}"
    )
    query = wechat_push.query() | {"echostr": "1"}
    assert_problem(wechat_push.send("GET", query), 503, "wechat_unavailable")
    assert_problem(wechat_push.plain(media_check("trace-early")), 503, "wechat_unavailable")
    assert wechat_push.items() == []
