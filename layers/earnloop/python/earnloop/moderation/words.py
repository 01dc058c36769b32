"""Word lists for text moderation (the local and AWS providers): a match rejects or sends to review.

Matching ignores case, width (full-width Latin and digits are folded by NFKC) and whitespace, so
`DEMO - reject`, its full-width spelling and `d e m o-reject` all match `demo-reject`. It is a
blunt tool by design: a brand lists the few words it must never publish; WeChat's provider is the
real check in production.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from earnloop.moderation.verdicts import TextVerdict

# Demo entries, so a developer can trigger each outcome offline (README of the moderation package).
DEMO_REJECT = ("demo-reject", "违规演示")
DEMO_REVIEW = ("demo-review", "待审演示")

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class WordLists:
    reject: tuple[str, ...]
    review: tuple[str, ...]

    @classmethod
    def of(cls, reject: list[str], review: list[str]) -> WordLists:
        """The configured lists; either left empty falls back to its demo entries."""
        return cls(tuple(reject) or DEMO_REJECT, tuple(review) or DEMO_REVIEW)

    def check(self, text: str, provider: str) -> TextVerdict:
        flat = normalize(text)
        rejected = tuple(w for w in self.reject if normalize(w) and normalize(w) in flat)
        if rejected:
            return TextVerdict(
                outcome="reject", labels=tuple(f"word:{w}" for w in rejected), provider=provider
            )
        reviewed = tuple(w for w in self.review if normalize(w) and normalize(w) in flat)
        if reviewed:
            return TextVerdict(
                outcome="review", labels=tuple(f"word:{w}" for w in reviewed), provider=provider
            )
        return TextVerdict(outcome="pass", provider=provider)
