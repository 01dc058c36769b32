"""HTTP routes of the caller's privacy rights (issue 10, PIPL): deleting the account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from earnloop.identity import erasure
from earnloop.identity.erasure_store import ErasureStore
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings

router = APIRouter(tags=["identity"])


@router.delete(
    "/v1/me",
    name="me_delete",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    summary="Delete the caller's account",
)
def me_delete(principal: CurrentUser) -> Response:
    """Deletes the account at once (profile, WeChat identity: the next login is a new user); the
    caller's posts, media, follows and order addresses are erased shortly after (202). Points
    history stays for the books, linked to no person."""
    table = get_settings().table_name("identity")
    erasure.delete_account(
        IdentityStore(aws.dynamodb(), table), ErasureStore(aws.dynamodb(), table), principal.user_id, utcnow()
    )
    return Response(status_code=status.HTTP_202_ACCEPTED)
