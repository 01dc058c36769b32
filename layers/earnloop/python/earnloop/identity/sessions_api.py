"""`POST /v1/auth/logout`: the caller's session ends (identity/sessions.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from earnloop.identity.sessions import revoke_session
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow

router = APIRouter(tags=["identity"])


@router.post(
    "/v1/auth/logout",
    name="auth_logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Log out: this session ends",
)
def auth_logout(principal: CurrentUser) -> Response:
    """Revokes the session of the token it is called with: within a minute every function refuses
    that token with 401 `unauthenticated`. The user's other sessions (another phone) live on."""
    revoke_session(principal.user_id, principal.session_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
