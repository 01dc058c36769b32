"""The points part of a user's data export (`GET /v1/me/export`, identity/export.py): the account
and the whole ledger, oldest first. Read through this context's own store, one partition."""

from __future__ import annotations

from typing import Any

from earnloop.points.store import PointsStore


def export_points(user_id: str, store: PointsStore | None = None) -> dict[str, Any]:
    store = store or PointsStore.default()
    account = store.account(user_id)
    entries = sorted(store.entries(user_id), key=lambda entry: (entry.created_at, entry.txn_id))
    return {
        "account": account.model_dump(mode="json", exclude={"version"}),
        "history": [entry.model_dump(mode="json", exclude_none=True) for entry in entries],
    }
