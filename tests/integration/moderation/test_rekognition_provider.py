"""The aws provider's boto3 client against a fake Rekognition speaking its JSON protocol."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from earnloop.moderation import moderation_from_settings
from earnloop.moderation.rekognition import RekognitionModeration, Thresholds, rekognition_client
from earnloop.moderation.words import WordLists
from earnloop.platform.settings import get_settings

from tests.fakes.rekognition_server import FakeRekognition, label

IMAGE = b"\xff\xd8\xff\xe0 a display rendition \xff\xd9"


@pytest.fixture
def fake() -> Iterator[FakeRekognition]:
    with FakeRekognition() as server:
        yield server


@pytest.fixture
def provider(fake: FakeRekognition) -> RekognitionModeration:
    client = boto3.client("rekognition", region_name="ap-southeast-1", endpoint_url=fake.url)
    return RekognitionModeration(
        client, WordLists.of([], []), Thresholds(60.0, 85.0, frozenset({"Explicit"}))
    )


def check(provider: RekognitionModeration) -> tuple[str, tuple[str, ...]]:
    verdict = provider.check_image(image=IMAGE, url=None, openid=None, subject_id="m1")
    assert verdict.provider == "aws" and verdict.trace_id is None
    return verdict.outcome, verdict.labels


def test_the_image_bytes_and_the_minimum_confidence_reach_rekognition(fake, provider):
    assert check(provider) == ("pass", ())
    [call] = fake.calls
    assert call.image == IMAGE and call.min_confidence == 60.0


def test_labels_decide_the_verdict(fake, provider):
    fake.answer(label("Explicit", 97.0), label("Explicit Nudity", 96.0, parent="Explicit", level=2))
    assert check(provider)[0] == "reject"
    fake.answer(label("Explicit", 70.0))
    assert check(provider) == ("review", ("aws:Explicit",))
    fake.answer(label("Gambling", 99.0))
    assert check(provider) == ("review", ("aws:Gambling",))


def test_an_image_rekognition_cannot_read_goes_to_review_and_throttling_is_raised(fake, provider):
    fake.fail("InvalidImageFormatException")
    assert check(provider) == ("review", ("aws:InvalidImageFormatException",))
    fake.fail("AccessDeniedException")
    with pytest.raises(ClientError):
        check(provider)


def test_text_uses_the_word_lists(provider):
    assert provider.check_text("demo-reject", openid=None).outcome == "reject"
    assert provider.check_text("a fruit bowl", openid=None).outcome == "pass"


def test_the_settings_choose_the_region_and_thresholds(fake, monkeypatch):
    monkeypatch.setenv("EARNLOOP_MODERATION_PROVIDER", "aws")
    monkeypatch.setenv("EARNLOOP_REKOGNITION_REGION", "ap-southeast-1")
    monkeypatch.setenv("EARNLOOP_REKOGNITION_MIN_CONFIDENCE", "75")
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", fake.url)
    get_settings.cache_clear()
    rekognition_client.cache_clear()
    try:
        moderation = moderation_from_settings()
        assert isinstance(moderation, RekognitionModeration) and not moderation.wants_url
        assert moderation.check_image(image=IMAGE, url=None, openid=None, subject_id="m1").outcome == "pass"
        assert fake.calls[0].min_confidence == 75.0
        assert rekognition_client("ap-southeast-1").meta.region_name == "ap-southeast-1"
    finally:
        get_settings.cache_clear()
        rekognition_client.cache_clear()


def test_the_local_provider_is_the_default():
    get_settings.cache_clear()
    assert moderation_from_settings().name == "local"


def test_a_deployed_stage_without_a_provider_setting_uses_wechat_never_the_offline_one(monkeypatch):
    monkeypatch.setenv("EARNLOOP_STAGE", "prod")
    get_settings.cache_clear()
    try:
        assert moderation_from_settings().name == "wechat"
    finally:
        get_settings.cache_clear()
