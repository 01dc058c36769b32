"""The offline provider: word lists for text and colour rules for images, as a developer uses them."""

from __future__ import annotations

import io

import pytest
from earnloop.moderation.local import LocalModeration
from earnloop.moderation.words import DEMO_REJECT, DEMO_REVIEW, WordLists
from PIL import Image

LOCAL = LocalModeration(WordLists.of([], []))


def picture(colour: tuple[int, int, int], *, share: float = 1.0, fmt: str = "JPEG") -> bytes:
    """A 400 x 300 photo whose left `share` is `colour` and the rest grey."""
    image = Image.new("RGB", (400, 300), (128, 128, 128))
    image.paste(colour, (0, 0, int(400 * share), 300))
    out = io.BytesIO()
    image.save(out, fmt, quality=85)
    return out.getvalue()


def check(image: bytes) -> tuple[str, tuple[str, ...]]:
    verdict = LOCAL.check_image(image=image, url=None, openid=None, subject_id="m1")
    return verdict.outcome, verdict.labels


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("my oat-peach fruit bowl", "pass"),
        ("this is demo-reject content", "reject"),
        ("DEMO - Reject in capitals and spaced", "reject"),
        ("ｄｅｍｏ－ｒｅｊｅｃｔ in full width", "reject"),  # noqa: RUF001
        ("please demo-review this", "review"),
        ("这里有违规演示文字", "reject"),
        ("这里有待审演示文字", "review"),
        ("both demo-review and demo-reject: the worse wins", "reject"),
    ],
)
def test_text_is_judged_by_the_demo_word_lists(text, outcome):
    verdict = LOCAL.check_text(text, openid=None)
    assert verdict.outcome == outcome and verdict.provider == "local"
    assert (verdict.labels == ()) == (outcome == "pass")


def test_configured_word_lists_replace_the_demo_entries():
    brand = LocalModeration(WordLists.of(["competitor"], ["refund"]))
    assert brand.check_text("buy Competitor instead", openid=None).labels == ("word:competitor",)
    assert brand.check_text("I want a refund", openid=None).outcome == "review"
    assert brand.check_text(DEMO_REJECT[0], openid=None).outcome == "pass"
    assert brand.check_text(DEMO_REVIEW[0], openid=None).outcome == "pass"


def test_a_mostly_red_picture_is_rejected_and_a_mostly_blue_one_goes_to_review():
    assert check(picture((230, 20, 20))) == ("reject", ("local:red",))
    assert check(picture((220, 30, 40), share=0.6, fmt="PNG")) == ("reject", ("local:red",))
    assert check(picture((20, 30, 230))) == ("review", ("local:blue",))


def test_an_ordinary_picture_passes_even_with_some_red_in_it():
    assert check(picture((230, 20, 20), share=0.3)) == ("pass", ())
    assert check(picture((250, 180, 60))) == ("pass", ())


def test_bytes_that_are_no_picture_go_to_review():
    assert check(b"<svg onload=alert(1)>") == ("review", ("local:unreadable",))
    assert check(picture((230, 20, 20))[:200]) == ("review", ("local:unreadable",))
