"""The sharing part of a user's data export (`GET /v1/me/export`, identity/export.py): the referral
decision about the user (who referred them, or why not), the shares they opened targets through,
and the shares they made (their `SHARER#` listing, newest first, at most `SHARES_MAX`: 30 an hour
at most are made, so this is months of sharing at the limit)."""

from __future__ import annotations

from typing import Any

from earnloop.sharing.store import SharingStore, sharing_store

SHARES_MAX = 5_000


def export_sharing(user_id: str, store: SharingStore | None = None) -> dict[str, Any]:
    store = store or sharing_store()
    referral = store.get_referral(user_id)
    return {
        "referral": None if referral is None else referral.model_dump(mode="json", exclude_none=True),
        "openings": [opening.model_dump(mode="json") for opening in store.openings(user_id)],
        "shares": store.listed_shares(user_id, SHARES_MAX),
    }
