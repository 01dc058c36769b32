"""What a moderation provider answers, and the interface every provider implements."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

TextOutcome = Literal["pass", "review", "reject"]
# `pending`: the provider answers later (WeChat pushes its verdict, matched by `trace_id`).
ImageOutcome = Literal["pass", "review", "reject", "pending"]


class TextVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: TextOutcome
    # Why, in the provider's words (a matched word list entry, WeChat's label, ...); empty on pass.
    labels: tuple[str, ...] = ()
    provider: str


class ImageVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: ImageOutcome
    trace_id: str | None = None
    labels: tuple[str, ...] = ()
    provider: str


class Moderation(Protocol):
    """Checks user content. Implementations raise `WeChatUnavailableError` (or let an AWS error
    propagate) when the check itself failed: the caller retries, it never publishes unchecked."""

    name: str
    # Whether `check_image` needs a URL the provider can fetch (a presigned GET valid >= 40 min).
    wants_url: bool

    def check_text(self, text: str, *, openid: str | None) -> TextVerdict: ...

    def check_image(
        self, *, image: bytes, url: str | None, openid: str | None, subject_id: str
    ) -> ImageVerdict: ...
