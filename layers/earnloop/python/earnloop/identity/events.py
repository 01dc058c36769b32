"""Events of the identity context."""

from __future__ import annotations

from earnloop.platform.events import Change, DomainEvent


class UserRegistered(DomainEvent):
    """A person logged in for the first time."""

    source = "earnloop.identity"
    detail_type = "UserRegistered"

    user_id: str
    created_at: str
    # The share link the user arrived through, unresolved: the sharing context turns it into a referral.
    referral_token: str | None = None


def derive(change: Change) -> list[DomainEvent]:
    if change.kind == "INSERT" and change.entity == "User" and change.new is not None:
        return [UserRegistered.model_validate(change.new)]
    return []
