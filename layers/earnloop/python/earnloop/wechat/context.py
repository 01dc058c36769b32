"""The wechat context: the shared access-token cache, the message-push endpoint and its verdicts.

Its table holds the access token (with its refresh lease), the nonces of pushes already accepted (a
TTL cleans them up) and one item per media-check verdict. The app's AppID and AppSecret stay in the
`wechat` secret that identity declares (one source of truth for login and for the token); the push
endpoint's Token and EncodingAESKey, chosen in the mini-program console, are the `wechat_push`
secret. A function that calls WeChat's API with a token needs `TOKEN_GRANTS`.
"""

from __future__ import annotations

from earnloop.platform.catalog import Grant, http, secret, table
from earnloop.platform.context import Context
from earnloop.platform.resources import Secret, Table

# What `earnloop.wechat.token.access_token()` reads and writes: the cached token and its lease, and
# the AppID and AppSecret it is fetched with.
TOKEN_GRANTS: tuple[Grant, ...] = (table("wechat", "readwrite"), secret("wechat"))

CONTEXT = Context(
    name="wechat",
    router="earnloop.wechat.api:router",
    derive="earnloop.wechat.events:derive",
    table=Table(name="wechat"),
    # Created empty by a deploy: the operator stores the Token and EncodingAESKey entered in the
    # mini-program console (development settings, message push). The template is the local value.
    secrets=(
        Secret(
            "wechat_push",
            template={
                "token": "localpushtoken",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            },
        ),
    ),
    functions=(
        http(
            "wechat_push",
            # One conditional write per push; reads only the AppID of `wechat` (safe mode's check).
            table("wechat", "readwrite"),
            secret("wechat_push"),
            secret("wechat"),
            description="WeChat's message push: URL verification and media-check verdicts",
        ),
    ),
)
