"""WeChat's user risk rank (`getUserRiskRank`): how likely an openid is a farming account.

Protocol (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/safety-control-capability/getUserRiskRank.html):
`POST {base}/wxa/getuserriskrank?access_token=` `{appid, openid, scene, client_ip}` (scene 0:
registration, 1: marketing) -> `{errcode: 0, errmsg, risk_rank}`, rank 0 (normal) to 4 (highest
risk), or `{errcode, errmsg}`. The access token is the shared one (`call_with_token`, renewed once
when WeChat refuses it). `LocalRiskRank` answers `make dev` without WeChat.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol

from earnloop.platform.errors import WeChatUnavailableError
from earnloop.platform.observability import logger, mask
from earnloop.platform.wechat import errmsg
from earnloop.wechat.calls import WeChatApi, errcode
from earnloop.wechat.token import call_with_token

if TYPE_CHECKING:
    from collections.abc import Callable

RISK_RANK_PATH = "/wxa/getuserriskrank"
MAX_RANK = 4


class RiskScene(IntEnum):
    REGISTER = 0
    MARKETING = 1


class RiskRanks(Protocol):
    def rank(self, openid: str, client_ip: str, scene: RiskScene = RiskScene.MARKETING) -> int: ...


class WeChatRiskRank:
    """The real client."""

    def __init__(
        self,
        api: WeChatApi,
        app_id: str,
        with_token: Callable[[Callable[[str], dict[str, Any]]], dict[str, Any]] = call_with_token,
    ) -> None:
        self._api = api
        self._app_id = app_id
        self._with_token = with_token

    def rank(self, openid: str, client_ip: str, scene: RiskScene = RiskScene.MARKETING) -> int:
        """The openid's risk rank, 0 (normal) to 4.

        Raises:
            WeChatUnavailableError: WeChat failed, refused the call or answered no valid rank.
        """
        body = {"appid": self._app_id, "openid": openid, "scene": int(scene), "client_ip": client_ip}
        payload = self._with_token(
            lambda token: self._api.post(RISK_RANK_PATH, body, query={"access_token": token})
        )
        rank = payload.get("risk_rank")
        if errcode(payload) != 0 or not isinstance(rank, int) or not 0 <= rank <= MAX_RANK:
            logger.error(
                "wechat refused the risk rank",
                extra={"errcode": errcode(payload), "errmsg": errmsg(payload), "openid": mask(openid)},
            )
            raise WeChatUnavailableError("WeChat refused the risk rank request")
        return rank


class LocalRiskRank:
    """`make dev`: every openid is normal (0), except one starting with `risky` or a development
    login's `dev-openid-risky...` (`dev:risky-li`) (4), so a local journey can show a risky user."""

    def rank(self, openid: str, client_ip: str, scene: RiskScene = RiskScene.MARKETING) -> int:
        return MAX_RANK if openid.startswith(("risky", "dev-openid-risky")) else 0
