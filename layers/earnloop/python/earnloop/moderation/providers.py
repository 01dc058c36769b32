"""Picks the moderation provider of the current settings.

A function that moderates declares what the deployed provider needs: `wechat` (every deployed stage
unless set otherwise) needs `earnloop.wechat.context.TOKEN_GRANTS`; `aws` needs
`rekognition:DetectModerationLabels`, which the catalog cannot grant yet (docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.moderation.words import WordLists
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.moderation.verdicts import Moderation


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
