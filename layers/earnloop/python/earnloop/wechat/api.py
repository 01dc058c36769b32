"""HTTP routes of the wechat context: WeChat's message push (`/wechat/push`, outside `/v1`: WeChat
calls it, not the mini-program)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from earnloop.platform.clock import utcnow
from earnloop.wechat import push
from earnloop.wechat.store import push_store

router = APIRouter()

# WeChat reads this body as "received, do not retry".
SUCCESS = "success"


@router.get(
    "/wechat/push",
    name="wechat_push",
    # One function serves both methods; the OpenAPI document needs one id per operation.
    operation_id="wechat_push_verify",
    response_class=PlainTextResponse,
    tags=["wechat"],
    summary="WeChat's URL verification: answers `echostr` when the signature is our Token's",
    responses={401: {"description": "Bad signature or stale timestamp"}},
)
@router.post(
    "/wechat/push",
    name="wechat_push",
    operation_id="wechat_push",
    response_class=PlainTextResponse,
    tags=["wechat"],
    summary="A signed push from WeChat (plaintext or safe mode): answers `success`",
    responses={401: {"description": "Bad signature, stale timestamp or a ciphertext not ours"}},
)
async def wechat_push(
    request: Request,
    query: Annotated[push.SignedQuery, Query()],
) -> PlainTextResponse:
    # The body is read raw (safe mode signs its `Encrypt` text); the rest runs off the event loop.
    body = await request.body()
    return await run_in_threadpool(_answer, request.method, query, body)


def _answer(method: str, query: push.SignedQuery, body: bytes) -> PlainTextResponse:
    config = push.push_config()
    now = int(utcnow().timestamp())
    if method == "GET":
        return PlainTextResponse(push.verify_url(query, config, now))
    push.handle(push.open_push(query, body, config, now), push_store())
    return PlainTextResponse(SUCCESS)
