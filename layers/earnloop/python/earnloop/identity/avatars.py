"""Where an avatar may be loaded from: WeChat's avatar hosts and the project's own media domain.

Every client renders `avatar_url`, so a URL elsewhere would let a user make every viewer's phone
fetch from any server (tracking pixels, internal addresses such as the cloud metadata service
169.254.169.254 if a server ever fetched it). Only https on port 443, a DNS host name (no IP
literal, no userinfo), printable ASCII without backslashes, and one of the allowed hosts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable

# Hosts WeChat serves profile pictures from (`https://thirdwx.qlogo.cn/mmopen/vi_32/...` from the
# open platform and official accounts, `wx.qlogo.cn` from the older mini-program user info). The
# mini-program's avatar picker gives a local file, uploaded to our media domain instead.
WECHAT_AVATAR_HOSTS = frozenset({"thirdwx.qlogo.cn", "wx.qlogo.cn"})
MAX_URL_CHARS = 512
# A DNS name of labels, ending in a letter-only top-level label: never an IPv4 literal, nor the
# decimal, octal or hex forms some resolvers read as one (2852039166, 0xA9.0xFE.0xA9.0xFE).
_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_PRINTABLE = re.compile(r"[\x21-\x7e]+")


def check_avatar_url(value: str) -> str:
    """`value` if it is an https URL of a plain host name on the default port, else ValueError."""
    if len(value) > MAX_URL_CHARS or not _PRINTABLE.fullmatch(value) or "\\" in value:
        raise ValueError("must be a printable ASCII URL of at most 512 characters")
    parts = urlsplit(value)
    if parts.scheme.lower() != "https":
        raise ValueError("must be an https URL")
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError("must not name a port") from error
    if port not in (None, 443):
        raise ValueError("must use the default https port")
    host = (parts.hostname or "").lower()
    if not _HOST.fullmatch(host):
        raise ValueError("must name a host by its DNS name, not an address")
    return value


def avatar_hosts(media_host: str | None) -> frozenset[str]:
    """The hosts an avatar may be on: WeChat's, and our media domain when the stage has one."""
    return WECHAT_AVATAR_HOSTS | ({media_host.lower()} if media_host else set())


def is_allowed_host(url: str, hosts: Iterable[str]) -> bool:
    return (urlsplit(url).hostname or "").lower() in set(hosts)
