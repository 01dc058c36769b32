"""The content-security clients and the wechat moderation provider against the fake WeChat."""

from __future__ import annotations

import pytest
from earnloop.moderation import moderation_from_settings
from earnloop.moderation.wechat import WeChatModeration
from earnloop.platform.errors import WeChatUnavailableError
from earnloop.platform.settings import get_settings
from earnloop.wechat.calls import WeChatApi
from earnloop.wechat.security import MEDIA_CHECK_ASYNC_PATH, ContentSecurity, Scene

from tests.fakes.wechat_server import MEDIA_CHECK_ASYNC, MSG_SEC_CHECK, Reply, error

URL = "https://media.example.com/media/m1/display.jpg?X-Amz-Signature=abc&X-Amz-Expires=2700"


@pytest.fixture
def security(wechat):
    return ContentSecurity(WeChatApi(wechat.base_url, timeout_s=0.5, retries=1, backoff_s=0.01))


@pytest.mark.parametrize(
    ("text", "outcome", "label"),
    [
        ("a fruit bowl", "pass", 100),
        ("this needs review", "review", 21000),
        ("this is risky", "reject", 20002),
    ],
)
def test_text_verdicts_follow_wechats_suggest(wechat, security, text, outcome, label):
    check = security.check_text(text, openid="oUser1", scene=Scene.COMMENT)
    assert (check.outcome, check.label) == (outcome, label)
    assert check.trace_id and check.trace_id.startswith("trace-text-")
    [sent] = wechat.api_calls_to(MSG_SEC_CHECK)
    assert sent == {"content": text, "version": 2, "scene": 2, "openid": "oUser1"}


def test_text_longer_than_2500_characters_is_checked_in_pieces_and_the_worst_wins(wechat, security):
    text = "fine words " * 300 + "risky" + " more" * 10
    check = security.check_text(text, openid="oUser1")
    pieces = wechat.api_calls_to(MSG_SEC_CHECK)
    assert len(pieces) == 2 and all(len(p["content"]) <= 2500 for p in pieces)
    assert "".join(p["content"] for p in pieces) == text
    assert check.outcome == "reject"


def test_a_user_wechat_cannot_check_now_goes_to_review(wechat, security):
    assert security.check_text("hello", openid="stale-user").outcome == "review"


def test_empty_text_passes_without_a_call(wechat, security):
    assert security.check_text(" \n", openid="oUser1").outcome == "pass"
    assert wechat.api_calls_to(MSG_SEC_CHECK) == []


def test_an_image_check_returns_the_trace_id_of_the_verdict_to_come(wechat, security):
    trace_id = security.check_image_async(URL, openid="oUser1")
    [check] = wechat.media_checks
    assert (check.trace_id, check.media_url, check.openid, check.scene) == (trace_id, URL, "oUser1", 3)


def test_refusals_and_failures_are_unavailable(wechat, security):
    wechat.script_api(MSG_SEC_CHECK, error(40003, "invalid openid"))
    with pytest.raises(WeChatUnavailableError):
        security.check_text("hello", openid="bad")
    wechat.script_api(
        MEDIA_CHECK_ASYNC, Reply(b"<html>bad gateway</html>", status=502), Reply(b"oops", status=502)
    )
    with pytest.raises(WeChatUnavailableError):
        security.check_image_async(URL, openid="oUser1")
    wechat.script_api(MEDIA_CHECK_ASYNC, Reply({"errcode": 0, "errmsg": "ok"}))
    with pytest.raises(WeChatUnavailableError):  # no trace id: nothing to match a verdict with
        security.check_image_async(URL, openid="oUser1")
    slow = Reply({"errcode": 0}, delay_s=2)
    wechat.script_api(MSG_SEC_CHECK, slow)
    assert security.check_text("slow once", openid="oUser1").outcome == "pass"  # the retry answered
    wechat.script_api(MSG_SEC_CHECK, slow, slow)
    with pytest.raises(WeChatUnavailableError):
        security.check_text("slow twice", openid="oUser1")
    assert MEDIA_CHECK_ASYNC_PATH == MEDIA_CHECK_ASYNC


def test_the_wechat_provider_checks_text_now_and_images_later(wechat, monkeypatch):
    monkeypatch.setenv("EARNLOOP_MODERATION_PROVIDER", "wechat")
    get_settings.cache_clear()
    moderation = moderation_from_settings()
    assert isinstance(moderation, WeChatModeration) and moderation.wants_url

    assert moderation.check_text("this is risky", openid="oUser1").model_dump() == {
        "outcome": "reject",
        "labels": ("wechat:20002",),
        "provider": "wechat",
    }
    assert moderation.check_text("hello", openid="oUser1").labels == ()
    image = moderation.check_image(image=b"...", url=URL, openid="oUser1", subject_id="m1")
    assert image.outcome == "pending" and image.trace_id == wechat.media_checks[0].trace_id
    # Without the user's openid WeChat can check nothing: a person looks instead.
    assert moderation.check_text("hello", openid=None).outcome == "review"
    assert moderation.check_image(image=b"...", url=URL, openid=None, subject_id="m1").outcome == "review"
    with pytest.raises(ValueError, match="presigned"):
        moderation.check_image(image=b"...", url=None, openid="oUser1", subject_id="m1")
