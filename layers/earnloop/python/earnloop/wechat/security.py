"""WeChat content security v2: `msgSecCheck` (text, synchronous) and `mediaCheckAsync` (images, the
verdict pushed later to `/wechat/push`).

Protocol (https://developers.weixin.qq.com/miniprogram/dev/server/API/sec-center/sec-check/api_msgseccheck.html
and .../api_mediacheckasync.html):

- `POST {base}/wxa/msg_sec_check?access_token=` `{content, version: 2, scene, openid}` ->
  `{errcode, errmsg, trace_id, result: {suggest: pass|review|risky, label}, detail: [...]}`. Content
  is at most 2,500 characters (longer text is checked in pieces: the worst piece wins); the openid
  must have opened the mini-program in the last two hours. 4,000 calls a minute per app.
- `POST {base}/wxa/media_check_async?access_token=` `{media_url, media_type: 2, version: 2, scene,
  openid}` -> `{errcode, errmsg, trace_id}`; WeChat fetches the URL (10 MB at most) and pushes
  `wxa_media_check` with the same `trace_id` within about 30 minutes.

Scenes: 1 profile, 2 comment, 3 forum, 4 social log. Outcomes: suggest `pass` -> pass, `review` ->
review, `risky` -> reject. Errcode 61010 ("the user has not visited recently"; WeChat cannot check
for this openid) -> review: a person decides rather than publishing unchecked text (decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

from earnloop.platform.errors import WeChatUnavailableError
from earnloop.platform.observability import logger, mask
from earnloop.platform.wechat import errmsg
from earnloop.wechat.calls import WeChatApi, default_api, errcode
from earnloop.wechat.token import call_with_token

if TYPE_CHECKING:
    from collections.abc import Callable

MSG_SEC_CHECK_PATH = "/wxa/msg_sec_check"
MEDIA_CHECK_ASYNC_PATH = "/wxa/media_check_async"
MAX_TEXT_CHARS = 2500
USER_NOT_RECENT = 61010
MEDIA_TYPE_IMAGE = 2

Outcome = Literal["pass", "review", "reject"]
SUGGESTIONS: dict[str, Outcome] = {"pass": "pass", "review": "review", "risky": "reject"}
_SEVERITY: dict[Outcome, int] = {"pass": 0, "review": 1, "reject": 2}


class Scene(IntEnum):
    PROFILE = 1
    COMMENT = 2
    FORUM = 3
    SOCIAL_LOG = 4


@dataclass(frozen=True)
class TextCheck:
    outcome: Outcome
    # WeChat's label of the worst piece (100 = normal, 20001 politics, 20002 porn, ...), if any.
    label: int | None
    trace_id: str | None


def outcome_of(suggest: object) -> Outcome:
    """The outcome of a v2 `suggest`; anything unknown goes to review."""
    return SUGGESTIONS.get(suggest, "review") if isinstance(suggest, str) else "review"


class ContentSecurity:
    """The two content-security calls, with the shared token (renewed once if WeChat refuses it)."""

    def __init__(
        self,
        api: WeChatApi,
        with_token: Callable[[Callable[[str], dict[str, Any]]], dict[str, Any]] = call_with_token,
    ) -> None:
        self._api = api
        self._with_token = with_token

    def check_text(self, text: str, *, openid: str, scene: Scene = Scene.FORUM) -> TextCheck:
        """The verdict on `text` (split into 2,500-character pieces; the worst piece decides).

        Raises:
            WeChatUnavailableError: WeChat failed or refused the call for a reason of ours.
        """
        worst = TextCheck("pass", None, None)
        if not text.strip():
            return worst  # nothing to check (WeChat refuses empty content with 44002)
        for start in range(0, len(text), MAX_TEXT_CHARS):
            check = self._check_piece(text[start : start + MAX_TEXT_CHARS], openid, scene)
            if _SEVERITY[check.outcome] > _SEVERITY[worst.outcome]:
                worst = check
            elif worst.trace_id is None:
                worst = TextCheck(worst.outcome, check.label, check.trace_id)
            if worst.outcome == "reject":
                break
        return worst

    def _check_piece(self, piece: str, openid: str, scene: Scene) -> TextCheck:
        body = {"content": piece, "version": 2, "scene": int(scene), "openid": openid}
        payload = self._with_token(
            lambda token: self._api.post(MSG_SEC_CHECK_PATH, body, query={"access_token": token})
        )
        code = errcode(payload)
        if code == USER_NOT_RECENT:
            logger.info(
                "wechat cannot check text for this user now, sent to review", extra={"openid": mask(openid)}
            )
            return TextCheck("review", None, _trace_id(payload))
        if code != 0:
            raise _refused("msg_sec_check", payload)
        result = payload.get("result")
        if not isinstance(result, dict):
            raise _refused("msg_sec_check", payload)
        label = result.get("label")
        return TextCheck(
            outcome_of(result.get("suggest")), label if isinstance(label, int) else None, _trace_id(payload)
        )

    def check_image_async(self, media_url: str, *, openid: str, scene: Scene = Scene.FORUM) -> str:
        """Asks WeChat to check the image at `media_url` (which WeChat must be able to fetch for
        the next 30 minutes); returns the trace id its pushed verdict will carry.

        Raises:
            WeChatUnavailableError: WeChat failed or refused the call.
        """
        body = {
            "media_url": media_url,
            "media_type": MEDIA_TYPE_IMAGE,
            "version": 2,
            "scene": int(scene),
            "openid": openid,
        }
        payload = self._with_token(
            lambda token: self._api.post(MEDIA_CHECK_ASYNC_PATH, body, query={"access_token": token})
        )
        trace_id = _trace_id(payload)
        if errcode(payload) != 0 or trace_id is None:
            raise _refused("media_check_async", payload)
        return trace_id


def _trace_id(payload: dict[str, Any]) -> str | None:
    value = payload.get("trace_id")
    return value if isinstance(value, str) and value else None


def _refused(api: str, payload: dict[str, Any]) -> WeChatUnavailableError:
    # Not retried: the same request would get the same answer (a bad openid, quota, a bad URL).
    logger.error(
        "wechat refused a content security call",
        extra={"api": api, "errcode": errcode(payload), "errmsg": errmsg(payload)},
    )
    return WeChatUnavailableError("WeChat content security failed")


def default_security() -> ContentSecurity:
    return ContentSecurity(default_api())
