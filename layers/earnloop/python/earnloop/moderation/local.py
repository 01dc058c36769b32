"""The offline provider: word lists for text, and image rules a developer can trigger with a chosen
picture (they survive re-encoding, unlike any metadata marker, which the media worker strips):

- at least half of the image pure red (R >= 200, G <= 60, B <= 60) -> reject (`local:red`);
- at least half of it pure blue (B >= 200, R <= 60, G <= 60) -> review (`local:blue`);
- anything else -> pass. An image Pillow cannot open -> review (`local:unreadable`).

Counted on a 32 x 32 reduction, so a photo of a red sheet of paper works as well as a red PNG.
Pillow is imported only when an image is checked (only the media worker, in the imaging layer).
"""

from __future__ import annotations

import io

from earnloop.moderation.verdicts import ImageVerdict, TextVerdict
from earnloop.moderation.words import WordLists

SAMPLE_SIDE = 32
DOMINANT_SHARE = 0.5


class LocalModeration:
    name = "local"
    wants_url = False

    def __init__(self, words: WordLists) -> None:
        self._words = words

    def check_text(self, text: str, *, openid: str | None) -> TextVerdict:
        return self._words.check(text, self.name)

    def check_image(
        self, *, image: bytes, url: str | None, openid: str | None, subject_id: str
    ) -> ImageVerdict:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(image)) as opened:
                opened.draft("RGB", (SAMPLE_SIDE * 4, SAMPLE_SIDE * 4))
                small = opened.convert("RGB").resize((SAMPLE_SIDE, SAMPLE_SIDE))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            return ImageVerdict(outcome="review", labels=("local:unreadable",), provider=self.name)
        data = small.tobytes()
        pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
        red = sum(1 for r, g, b in pixels if r >= 200 and g <= 60 and b <= 60)
        blue = sum(1 for r, g, b in pixels if b >= 200 and r <= 60 and g <= 60)
        if red >= DOMINANT_SHARE * len(pixels):
            return ImageVerdict(outcome="reject", labels=("local:red",), provider=self.name)
        if blue >= DOMINANT_SHARE * len(pixels):
            return ImageVerdict(outcome="review", labels=("local:blue",), provider=self.name)
        return ImageVerdict(outcome="pass", provider=self.name)
