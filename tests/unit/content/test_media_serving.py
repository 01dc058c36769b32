"""Rendition URLs: presigned GETs on the bucket's regional host, or on the stage's media host; never
of a raw upload."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from earnloop.content.media_models import Media
from earnloop.content.media_serving import on_media_host, rendition_urls, signed_url
from earnloop.platform import aws
from earnloop.platform.settings import get_settings

RENDITIONS = {"display": "media/m1/display.jpg", "thumb": "media/m1/thumb.jpg"}


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    aws.reset_clients()
    yield
    get_settings.cache_clear()
    aws.reset_clients()


def media(status: str) -> Media:
    return Media.model_validate(
        {
            "media_id": "m1",
            "owner_id": "u1",
            "kind": "image",
            "status": status,
            "declared_type": "image/jpeg",
            "declared_size": 1,
            "created_at": "2026-12-02T10:00:00.000Z",
            "renditions": RENDITIONS,
        }
    )


def test_a_rendition_is_a_short_lived_presigned_get_on_the_regional_virtual_host() -> None:
    url = urlsplit(signed_url("media/m1/display.jpg"))

    # The legacy global host does not serve buckets of opt-in regions (Hong Kong).
    assert url.netloc == "earnloop-local-media.s3.ap-east-1.amazonaws.com"
    assert url.path == "/media/m1/display.jpg"
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["3600"] and query["X-Amz-Signature"]


def test_a_raw_upload_is_never_signed() -> None:
    with pytest.raises(ValueError, match="only renditions"):
        signed_url("uploads/u1/m1")


def test_only_a_ready_item_has_urls() -> None:
    assert set(rendition_urls(media("ready"))) == {"display", "thumb"}
    assert rendition_urls(media("pending")) == {}
    assert rendition_urls(media("rejected")) == {}


def test_with_a_media_host_urls_carry_it_and_keep_the_signed_path_and_query(monkeypatch) -> None:
    monkeypatch.setenv("EARNLOOP_MEDIA_HOST", "media.example.cn")
    get_settings.cache_clear()

    url = urlsplit(signed_url("media/m1/thumb.jpg"))

    assert (url.scheme, url.netloc, url.path) == ("https", "media.example.cn", "/media/m1/thumb.jpg")
    assert "X-Amz-Signature=" in url.query
    assert on_media_host("https://b.s3.ap-east-1.amazonaws.com/") == "https://media.example.cn/"
