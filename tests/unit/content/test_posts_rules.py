"""The pure rules of posts: topics, the media a post may carry, and the status its verdicts give."""

from __future__ import annotations

import pytest
from earnloop.content.posts_models import Author, Post, PostCreate, PostMedia
from earnloop.content.posts_rules import (
    body_fingerprint,
    check_media_mix,
    normalize_topics,
    settle,
)
from earnloop.platform.errors import ValidationFailedError


def post(*media: PostMedia, text: str = "pass", approved: bool = False) -> Post:
    return Post(
        post_id="P",
        author=Author(id="alice"),
        text="t",
        media=list(media),
        status="pending",
        text_verdict=text,  # type: ignore[arg-type]
        approved=approved,
        created_at="2026-12-02T09:00:00.000Z",
    )


def image(status: str = "ready", moderation: str | None = "pass", reason: str | None = None) -> PostMedia:
    return PostMedia(media_id="m", kind="image", status=status, moderation=moderation, reason=reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (post(), ("published", None)),
        (post(image(), image("pending", None)), ("pending", None)),
        (post(image(), image("rejected", None, "damaged")), ("rejected", "media:damaged")),
        # A rejection does not wait for the other media.
        (post(image("pending", None), image("rejected", None, "too_long")), ("rejected", "media:too_long")),
        (post(image("pending", None), text="reject"), ("rejected", "text")),
        (post(image(), text="review"), ("in_review", "text")),
        (post(image("ready", "review")), ("in_review", "image")),
        (post(image("ready", "review"), text="review", approved=True), ("published", None)),
    ],
)
def test_settle(given: Post, expected: tuple[str, str | None]) -> None:
    assert settle(given) == expected


def test_topics_are_normalized_deduplicated_and_at_most_five() -> None:
    assert normalize_topics([" #Fruit   Bowl ", "fruit bowl", "ＡＢＣ"]) == ["fruit bowl", "abc"]  # noqa: RUF001
    assert normalize_topics(["a", "b", "c", "d", "e", "A", "#e"]) == ["a", "b", "c", "d", "e"]
    for bad in (["a", "b", "c", "d", "e", "f"], ["#"], ["x" * 21], ["a\x00b"]):
        with pytest.raises(ValidationFailedError):
            normalize_topics(bad)


def test_nine_images_or_one_video() -> None:
    video = PostMedia(media_id="v", kind="video")
    check_media_mix([image()] * 9)
    check_media_mix([video])
    for bad in ([image()] * 10, [image(), video], [video, video]):
        with pytest.raises(ValidationFailedError):
            check_media_mix(bad)


def test_the_fingerprint_is_the_body_not_its_spelling() -> None:
    a = PostCreate.model_validate_json('{"text": "hi", "topics": ["x"]}')
    b = PostCreate.model_validate_json('{"topics":["x"],"text":"hi","media_ids":[]}')
    assert body_fingerprint(a) == body_fingerprint(b)
    assert body_fingerprint(a) != body_fingerprint(PostCreate(text="hi!", topics=["x"]))
