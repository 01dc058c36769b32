"""Moderation providers: who checks the text and images users post.

`Moderation` is the interface (`verdicts.py`); `moderation_from_settings()` (`providers.py`) picks the
implementation named by `settings.moderation_provider` (unset: `local` on the local stage, `wechat`
in every deployed one):

- `wechat` (`wechat.py`): WeChat content security, the primary one in production: `msgSecCheck` for
  text (synchronous), `mediaCheckAsync` for images (the verdict arrives later as the wechat
  context's `MediaCheckVerdict` event, so an image's verdict is `pending` with a `trace_id`);
- `aws` (`rekognition.py`): Rekognition `DetectModerationLabels` for images, the word lists for text;
- `local` (`local.py`): the word lists and deterministic image rules, so the whole flow runs offline.

A library package: no table, no function of its own; the caller's function needs the provider's
grants (`providers.grants_for`).
"""

from __future__ import annotations

from earnloop.moderation.providers import moderation_from_settings
from earnloop.moderation.verdicts import ImageVerdict, Moderation, TextVerdict

__all__ = ["ImageVerdict", "Moderation", "TextVerdict", "moderation_from_settings"]
