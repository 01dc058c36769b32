"""What the code domain serves a phone that is not WeChat.

A printed code is `https://<code domain>/q/<code>`. WeChat, with the plain-URL QR rule set for the
mini-program, opens the mini-program on it and never fetches the page; any other camera app opens the
URL in a browser, where the page says to scan it with WeChat. No points are given here, and the page
echoes nothing of the URL (the code is a bearer token for its points: it must not end up in a page,
a referrer or a cache shared with others).
"""

from __future__ import annotations

from earnloop.codes.codec import parse_unverified

# A page with no script, no external resource and no link out: nothing to inject into, nothing to leak.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1.25rem;
line-height:1.6;color:#222}}h1{{font-size:1.3rem}}p.en{{color:#666;font-size:.9rem}}</style>
</head>
<body>
<h1>{title}</h1>
<p>{zh}</p>
<p class="en">{en}</p>
</body>
</html>
"""


def is_code(text: str) -> bool:
    """Whether `text` has the shape of one of our codes (its MAC is not checked: the page grants nothing)."""
    return parse_unverified(text.strip().upper()) is not None


def open_in_wechat_page() -> str:
    return _PAGE.format(
        title="请用微信扫码",
        zh="这是产品包装上的积分码。请打开微信，用“扫一扫”扫描包装上的二维码，在小程序中领取积分。",  # noqa: RUF001
        en="This is a points code from a product pack. Open WeChat and scan the QR code with "
        "Scan to collect your points in the mini-program.",
    )


def not_a_code_page() -> str:
    return _PAGE.format(
        title="无效的二维码",
        zh="这个链接不是有效的积分码。请用微信扫描产品包装上的二维码。",
        en="This link is not a valid points code. Scan the QR code on the product pack with WeChat.",
    )
