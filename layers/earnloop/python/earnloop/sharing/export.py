"""The sharing part of a user's data export (`GET /v1/me/export`, identity/export.py): the referral
decision about the user (who referred them, or why not) and the shares they opened targets
through. Shares the user created are keyed by share id with no per-sharer index: not listed."""

from __future__ import annotations

from typing import Any

from earnloop.sharing.store import SharingStore, sharing_store


def export_sharing(user_id: str, store: SharingStore | None = None) -> dict[str, Any]:
    store = store or sharing_store()
    referral = store.get_referral(user_id)
    return {
        "referral": None if referral is None else referral.model_dump(mode="json", exclude_none=True),
        "openings": [opening.model_dump(mode="json") for opening in store.openings(user_id)],
    }
