"""The content context's erasure of a deleted account, in rounds of `ERASE_BUDGET` writes
(platform/erasure_rounds.py): `UserErasureContinued` comes back to the posts queue through the rule
`erasure-rounds-to-posts`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.platform.erasure_rounds import derive_round
from earnloop.platform.events import DomainEvent

if TYPE_CHECKING:
    from earnloop.platform.events import Change

# Writes one round may make (a like's erasure is two, a comment's one): about 5-10 s of DynamoDB
# calls, a third of the posts worker's 30 s timeout.
ERASE_BUDGET = 400


class UserErasureContinued(DomainEvent):
    """The content context's erasure of a deleted account goes on (round 1, 2, ...)."""

    source = "earnloop.content"
    detail_type = "UserErasureContinued"

    user_id: str
    deleted_at: str
    round: int


def derive_erasure_rounds(change: Change) -> list[DomainEvent]:
    return list(derive_round(change, UserErasureContinued))
