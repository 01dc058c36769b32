"""Account deletion (issue 10, PIPL): `DELETE /v1/me` and the identity worker's part of erasing.

The command is one transaction (identity/erasure_store.py): the profile and the WeChat links go at
once, with the revocation of every session of the user, so the person's next login starts afresh
as a new user and the old token is refused. `UserDeleted`, derived from the tombstone, then lets
each context erase what it holds: here the rest of the user's partition (tags, guards, inbox,
grants, follows), at most `FOLLOWS_PER_ROUND` follows (a transaction each) per invocation; a person
following or followed by thousands goes on in rounds (`IdentityErasureContinued`,
platform/erasure_rounds.py).
"""

from __future__ import annotations

from datetime import datetime

from earnloop.identity.erasure_store import ErasureStore, erasable
from earnloop.identity.events import IdentityErasureContinued, UserDeleted
from earnloop.identity.follows_store import FOLLOWER_PREFIX, FOLLOWING_PREFIX, TOMBSTONE_TTL
from earnloop.identity.sessions import user_revocation
from earnloop.identity.store import IdentityStore
from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.errors import UnauthenticatedError
from earnloop.platform.observability import logger

# Follows one invocation unties (each one transaction of four items): a few seconds of the worker's 30.
FOLLOWS_PER_ROUND = 300


def delete_account(store: IdentityStore, erasure: ErasureStore, user_id: str, now: datetime) -> None:
    """Deletes the caller's account.

    Raises:
        UnauthenticatedError: the token's user no longer exists (deleted before).
        ConcurrencyError: the account changed meanwhile; the client may retry.
    """
    user = store.get_user(user_id)
    if user is None:
        raise UnauthenticatedError("the token's user no longer exists")
    # Every session of the user ends in the same transaction: reads with the old token answer 401
    # within a refresh of the token checkers' revocations (platform/sessions.py).
    erasure.delete_account(user, iso(now), also=[user_revocation(user_id, "deleted", now)])
    logger.info("account deleted", extra={"user_id": user_id})


def erase(erasure: ErasureStore, event: UserDeleted | IdentityErasureContinued) -> int:
    """Erases the rest of a deleted user's partition, up to `FOLLOWS_PER_ROUND` follows, and starts
    the next round when follows are left; a redelivery finds less or nothing to do. Returns how many
    items it removed."""
    at = parse_iso(event.deleted_at)
    expires = int((at + TOMBSTONE_TTL).timestamp())
    plain: list[dict[str, str]] = []
    edges = 0
    more = False
    for item in erasure.partition(event.user_id):
        sk = str(item["sk"])
        if sk.startswith((FOLLOWING_PREFIX, FOLLOWER_PREFIX)) and edges >= FOLLOWS_PER_ROUND:
            more = True
            continue
        if sk.startswith(FOLLOWING_PREFIX):
            erasure.drop_following(
                event.user_id, sk.removeprefix(FOLLOWING_PREFIX), event.deleted_at, expires
            )
            edges += 1
        elif sk.startswith(FOLLOWER_PREFIX):
            erasure.drop_follower(event.user_id, sk.removeprefix(FOLLOWER_PREFIX))
            edges += 1
        elif erasable(sk):
            plain.append({"pk": str(item["pk"]), "sk": sk})
    erasure.delete_items(plain)
    number = event.round + 1 if isinstance(event, IdentityErasureContinued) else 1
    if more:
        erasure.continue_erasure(event.user_id, event.deleted_at, number)
    logger.info(
        "deleted user's items erased",
        extra={
            "user_id": event.user_id,
            "items": len(plain),
            "follows": edges,
            "next_round": number if more else None,
        },
    )
    return len(plain) + edges
