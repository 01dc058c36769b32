"""What a request says about where it comes from: the mini-program's device id and the client IP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request

from earnloop.risk.windows import Subject

if TYPE_CHECKING:
    from collections.abc import Sequence

# The mini-program keeps a random id in its storage (wx.setStorageSync) and sends it on every call;
# it is a hint an attacker can vary, which is why the user and IP limits stand beside it.
DEVICE_HEADER = "X-Device-Id"
DEVICE_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"

DeviceId = Annotated[
    str | None,
    Header(
        alias=DEVICE_HEADER,
        pattern=DEVICE_PATTERN,
        description="The mini-program's device id (8-64 of A-Z a-z 0-9 _ -), counted by the risk limits",
    ),
]


def source_ip(request: Request) -> str | None:
    """The caller's IP as API Gateway saw it (`requestContext.http.sourceIp`, payload 2.0); None
    outside a Lambda (the local dev server), where every caller is 127.0.0.1."""
    event = request.scope.get("aws.event") or {}
    ip = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")
    return ip if isinstance(ip, str) and ip else None


SourceIp = Annotated[str | None, Depends(source_ip)]


def subjects(
    user_id: str, device_id: str | None, ip: str | None, *, per_user: int, per_device: int, per_ip: int
) -> Sequence[Subject]:
    """The subjects one attempt counts against: always the user, the device and IP when known."""
    found = [Subject("user", user_id, per_user)]
    if device_id:
        found.append(Subject("device", device_id, per_device))
    if ip:
        found.append(Subject("ip", ip, per_ip))
    return found
