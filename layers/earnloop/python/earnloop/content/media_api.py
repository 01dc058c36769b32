"""Media routes: starting an upload, and the owner's view of one media item."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from earnloop.content import media_uploads
from earnloop.content.media_models import MediaPublic, MediaUrls, UploadCreate, UploadCreated
from earnloop.content.media_serving import rendition_urls
from earnloop.content.media_store import MediaStore, media_store
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.errors import NotFoundError, UnauthenticatedError
from earnloop.platform.settings import get_settings

router = APIRouter()

Store = Annotated[MediaStore, Depends(media_store)]


@router.post(
    "/v1/media/uploads",
    name="media_uploads_create",
    status_code=201,
    response_model=UploadCreated,
    tags=["content"],
    summary="Start an upload: a presigned S3 POST bound to the caller and a new media id",
    responses={413: {"description": "The declared size is over the type's limit"}},
)
def media_uploads_create(
    body: UploadCreate, user: CurrentUser, store: Store, response: Response
) -> UploadCreated:
    # The uploader's openid goes on the item: WeChat checks the image on their behalf later.
    profile = IdentityStore(aws.dynamodb(), get_settings().table_name("identity")).get_user(user.user_id)
    if profile is None:
        raise UnauthenticatedError("the token's user no longer exists")
    created = media_uploads.start_upload(store, body, user.user_id, profile.wx_openid, utcnow())
    response.headers["Location"] = f"/v1/media/{created.media_id}"
    return created


@router.get(
    "/v1/media/{media_id}",
    name="media_get",
    response_model=MediaPublic,
    response_model_exclude_none=True,
    tags=["content"],
    summary="The caller's own upload: pending, ready (with rendition URLs) or rejected (with why)",
)
def media_get(media_id: str, user: CurrentUser, store: Store) -> MediaPublic:
    media = store.get(media_id) if len(media_id) <= 64 else None
    # Someone else's media is not found, not forbidden: ids are not confirmed to strangers.
    if media is None or media.owner_id != user.user_id:
        raise NotFoundError("no such media")
    urls = rendition_urls(media)
    return MediaPublic(
        media_id=media.media_id,
        status=media.status,
        kind=media.kind,
        reason=media.reason,
        urls=MediaUrls(display=urls.get("display", ""), thumb=urls.get("thumb", ""), video=urls.get("video"))
        if urls
        else None,
    )
