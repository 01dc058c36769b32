"""`POST /v1/me/subscriptions`: the templates the user accepted in `wx.requestSubscribeMessage`
(included by `identity.api`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from earnloop.identity import subscriptions
from earnloop.identity.subscriptions_store import GrantStore
from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings

router = APIRouter(tags=["identity"])

TemplateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]


class SubscriptionsAccepted(BaseModel):
    """The template ids whose result was `accept` (WeChat shows at most 3 in one request)."""

    model_config = ConfigDict(extra="forbid")

    template_ids: list[TemplateId] = Field(min_length=1, max_length=subscriptions.MAX_TEMPLATES)


class Grants(BaseModel):
    grants: dict[str, int] = Field(description="Template id -> messages the caller may still be sent")


def grant_store() -> GrantStore:
    return GrantStore(aws.dynamodb(), get_settings().table_name("identity"))


@router.post(
    "/v1/me/subscriptions", name="me_subscriptions", response_model=Grants, summary="Record subscriptions"
)
def me_subscriptions(
    body: SubscriptionsAccepted, principal: CurrentUser, store: Annotated[GrantStore, Depends(grant_store)]
) -> Grants:
    """Each accepted template pays for one later message of its kind; a template id that is not
    one of the app's is a 422."""
    known = list(get_settings().subscribe_templates.values())
    held = subscriptions.accept(store, principal.user_id, body.template_ids, known, utcnow())
    return Grants(grants=held)
