"""HTTP routes of the caller's privacy rights (issue 10, PIPL): exporting their data, deleting the
account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from earnloop.identity import erasure
from earnloop.identity.erasure_store import ErasureStore
from earnloop.identity.export import AccountExport, export
from earnloop.identity.follows_store import FollowStore
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import iso, utcnow
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


@router.get(
    "/v1/me/export", name="me_export", response_model=AccountExport, summary="Export the caller's data"
)
def me_export(principal: CurrentUser) -> AccountExport:
    """Everything the platform holds about the caller, as JSON: profile, tags, follows,
    notifications, points account and ledger, posts with media URLs, comments written and likes
    given (the newest 2,000 and 20,000), orders, referral and opened shares."""
    # Imported on use: each context's own read of its own table (identity/export.py).
    from earnloop.content.export import export_comments, export_likes, export_posts
    from earnloop.mall.export import export_orders
    from earnloop.points.export import export_points
    from earnloop.sharing.export import export_sharing

    ddb, table = aws.dynamodb(), get_settings().table_name("identity")
    return export(
        principal.user_id,
        iso(utcnow()),
        store=IdentityStore(ddb, table),
        follows=FollowStore(ddb, table),
        inbox=InboxStore(ddb, table),
        points=export_points,
        posts=export_posts,
        comments=export_comments,
        likes=export_likes,
        orders=export_orders,
        sharing=export_sharing,
    )
