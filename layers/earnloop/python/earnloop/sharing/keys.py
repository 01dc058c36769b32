"""The share link signing keys of this stage, from Secrets Manager."""

from __future__ import annotations

from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings
from earnloop.sharing.tokens import ShareKeys


def share_keys() -> ShareKeys:
    # Re-read through the secrets cache on each call, so a rotated key reaches warm containers.
    return ShareKeys.from_secret(secret_json(get_settings().secret_id("share_keys")))
