"""The platform's own routes: `GET /v1/health` and the session key's JWKS, no auth, every stage."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from earnloop.platform.settings import get_settings
from earnloop.platform.signing import session_key

router = APIRouter(tags=["platform"])

# Clients may cache the key set this long. A new version is published by the same deploy that
# makes it sign, so a consumer that meets an unknown kid should fetch the set again.
JWKS_MAX_AGE_S = 300


class Health(BaseModel):
    status: str
    stage: str


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[Jwk]


@router.get("/v1/health", name="health", response_model=Health)
def health() -> Health:
    return Health(status="ok", stage=get_settings().stage)


@router.get("/.well-known/jwks.json", name="jwks", response_model=Jwks)
def jwks(response: Response) -> Jwks:
    """The public halves of every session key version this stage trusts, the signing one first
    (RFC 7517). Anyone may verify a session token with them; nobody can sign one."""
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_S}"
    return Jwks(keys=[Jwk.model_validate(key.jwk()) for key in session_key().public_keys()])
