"""The WeChat provider: content security v2 (earnloop.wechat.security).

Text is checked synchronously (`msgSecCheck`, scene 3 "forum"); an image is handed to
`mediaCheckAsync` with a URL WeChat can fetch (the caller passes a presigned GET of the display
rendition valid for at least 40 minutes: WeChat answers within about 30) and its verdict is
`pending` with the `trace_id` that WeChat's push (`MediaCheckVerdict`) will carry.

Without the user's openid WeChat cannot check anything: such content goes to review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.moderation.verdicts import ImageVerdict, TextVerdict

if TYPE_CHECKING:
    from earnloop.wechat.security import ContentSecurity


class WeChatModeration:
    name = "wechat"
    wants_url = True

    def __init__(self, security: ContentSecurity) -> None:
        self._security = security

    def check_text(self, text: str, *, openid: str | None) -> TextVerdict:
        """Raises: WeChatUnavailableError when WeChat failed (retry later)."""
        if not openid:
            return TextVerdict(outcome="review", labels=("wechat:no_openid",), provider=self.name)
        check = self._security.check_text(text, openid=openid)
        labels = (f"wechat:{check.label}",) if check.label is not None and check.outcome != "pass" else ()
        return TextVerdict(outcome=check.outcome, labels=labels, provider=self.name)

    def check_image(
        self, *, image: bytes, url: str | None, openid: str | None, subject_id: str
    ) -> ImageVerdict:
        """Raises: ValueError without `url`; WeChatUnavailableError when WeChat failed."""
        if url is None:
            raise ValueError("the wechat provider checks images by URL: pass a presigned GET")
        if not openid:
            return ImageVerdict(outcome="review", labels=("wechat:no_openid",), provider=self.name)
        trace_id = self._security.check_image_async(url, openid=openid)
        return ImageVerdict(outcome="pending", trace_id=trace_id, provider=self.name)
