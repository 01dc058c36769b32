"""A deleted account's part of the sharing table (issue 10.6), from `UserDeleted`.

Erased: the shares the person made (the share item, which named them, and its listing; a link sent
earlier then answers as a forgery and pays nobody) and the shares they opened (`OPENER#<user>`).
Kept for the books, under random ids that name nobody once the profile is gone: referral decisions
(`REFERRAL#<referee>`, the proof of a referrer's `referral#` earn, whoever of the two left) and the
referrer's day counters, which TTL removes within days. Other users' openings of the person's links
are theirs and stay (they name the sharer by the random id only).

At most `SHARES_PER_ROUND` shares go per invocation (two deletes each, BatchWriteItem); what is left
goes on in the next round, `SharesErasureContinued` (platform/erasure_rounds.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.platform.erasure_rounds import derive_round
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from earnloop.platform.events import Change
    from earnloop.sharing.consumed import UserDeleted
    from earnloop.sharing.store import SharingStore

# 2,000 deletes in 80 BatchWriteItem calls: a few seconds of the worker's 30.
SHARES_PER_ROUND = 1000


class SharesErasureContinued(DomainEvent):
    """The sharing context's erasure of a deleted account goes on (round 1, 2, ...)."""

    source = "earnloop.sharing"
    detail_type = "SharesErasureContinued"

    user_id: str
    deleted_at: str
    round: int


def erase_sharer(store: SharingStore, event: UserDeleted | SharesErasureContinued) -> None:
    """Deletes the user's openings and up to `SHARES_PER_ROUND` of their shares, and starts the
    next round when more are left; a repeat changes nothing."""
    per_round = SHARES_PER_ROUND
    openings = store.erase_openings(event.user_id)
    shares = store.shares_of(event.user_id, per_round + 1)
    store.erase_shares(event.user_id, shares[:per_round])
    number = event.round + 1 if isinstance(event, SharesErasureContinued) else 1
    more = len(shares) > per_round
    if more:
        store.continue_erasure(event.user_id, event.deleted_at, number)
    logger.info(
        "deleted user's shares erased",
        extra={
            "user_id": event.user_id,
            "shares": len(shares[:per_round]),
            "openings": openings,
            "next_round": number if more else None,
        },
    )


def derive_erasure_rounds(change: Change) -> list[DomainEvent]:
    return list(derive_round(change, SharesErasureContinued))
