"""Picks the moderation provider of the current settings, and says what its caller must be granted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.moderation.words import WordLists
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.moderation.verdicts import Moderation
    from earnloop.platform.catalog import Grant


def moderation_from_settings() -> Moderation:
    """The provider named by `settings.moderation` (cheap to build: clients are shared)."""
    settings = get_settings()
    words = WordLists.of(settings.moderation_reject_words, settings.moderation_review_words)
    if settings.moderation == "wechat":
        from earnloop.moderation.wechat import WeChatModeration
        from earnloop.wechat.security import default_security

        return WeChatModeration(default_security())
    if settings.moderation == "aws":
        from earnloop.moderation.rekognition import RekognitionModeration, Thresholds, rekognition_client

        thresholds = Thresholds(
            settings.rekognition_min_confidence,
            settings.rekognition_reject_confidence,
            frozenset(settings.rekognition_reject_categories),
        )
        return RekognitionModeration(
            rekognition_client(settings.rekognition_region or settings.region), words, thresholds
        )
    from earnloop.moderation.local import LocalModeration

    return LocalModeration(words)


def grants_for_wechat() -> tuple[Grant, ...]:
    """What a function calling the wechat provider needs: the shared token's table and the app secret.
    (The aws provider needs `rekognition:DetectModerationLabels`, which has no catalog grant yet.)"""
    from earnloop.wechat.context import TOKEN_GRANTS

    return TOKEN_GRANTS
