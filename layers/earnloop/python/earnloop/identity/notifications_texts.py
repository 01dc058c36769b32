# The texts use Chinese full-width punctuation on purpose (commas, colons, brackets, the times sign).
# ruff: noqa: RUF001
"""What a user is told, in Simplified Chinese, for each event: pure rules, no I/O.

`draft(event)` decides the recipient, kind, text, the page it points at and the key that makes a
redelivered event a no-op. Where the author must be told why (rejected or reviewed posts, rejected
media, take-downs), the producer's reason word becomes a human sentence.
"""

from __future__ import annotations

import re

from earnloop.identity.consumed_events import (
    InboxEvent,
    MediaRejected,
    PointsExpiringSoon,
    PostInReview,
    PostPublished,
    PostRejected,
    PostTakenDown,
    RedemptionPlaced,
    RedemptionStatusChanged,
    TierChanged,
)
from earnloop.identity.notifications_models import NoticeDraft, NotificationKind, NotificationRef

# Reason words of moderation (WeChat content-security labels, Rekognition categories, the local
# word list), of reports and of the media worker, each as the sentence the author reads. A word not
# listed falls back to GENERIC_REASON: the author is always told something true, never the raw word.
GENERIC_REASON = "内容不符合社区规范"
REASONS: dict[str, str] = {
    "ad": "内容含有广告或营销信息",
    "ads": "内容含有广告或营销信息",
    "advertising": "内容含有广告或营销信息",
    "spam": "内容含有广告或营销信息",
    "politics": "内容涉及敏感话题",
    "political": "内容涉及敏感话题",
    "porn": "内容含有色情信息",
    "sexual": "内容含有色情信息",
    "nudity": "内容含有色情信息",
    "explicit": "内容含有色情信息",
    "vulgar": "内容含有低俗信息",
    "insult": "内容含有辱骂或人身攻击",
    "abuse": "内容含有辱骂或人身攻击",
    "harassment": "内容含有辱骂或人身攻击",
    "illegal": "内容涉及违法违规信息",
    "crime": "内容涉及违法违规信息",
    "drugs": "内容涉及违法违规信息",
    "gambling": "内容涉及违法违规信息",
    "fraud": "内容涉嫌欺诈",
    "scam": "内容涉嫌欺诈",
    "violence": "内容含有暴力或血腥画面",
    "gore": "内容含有暴力或血腥画面",
    "terror": "内容含有暴力或血腥画面",
    "copyright": "内容可能侵犯他人版权",
    "text": "文字内容不符合社区规范",
    "image": "图片不符合社区规范",
    "admin": "经人工审核，内容不符合社区规范",
    "moderation": GENERIC_REASON,
    "reported": "多位用户举报了这条内容",
    "reports": "多位用户举报了这条内容",
    "media": "帖子中的图片或视频未通过检查",
    "media_rejected": "帖子中的图片或视频未通过检查",
    "unsupported": "文件格式不受支持（图片支持 JPEG、PNG、WebP、HEIC，视频支持 MP4、MOV）",
    "unsupported_type": "文件格式不受支持（图片支持 JPEG、PNG、WebP、HEIC，视频支持 MP4、MOV）",
    "disguised": "文件内容与格式不符",
    "trailing_data": "文件中夹带了无法识别的数据",
    "no_video": "视频文件中没有画面",
    "too_large": "文件太大（图片不超过 10 MB，视频不超过 50 MB）",
    "too_many_pixels": "图片像素过大",
    "pixel_limit": "图片像素过大",
    "damaged": "文件已损坏，无法打开",
    "corrupt": "文件已损坏，无法打开",
    "truncated": "文件不完整，请重新上传",
    "duration": "视频时长需在 15 到 60 秒之间",
    "too_short": "视频时长需在 15 到 60 秒之间",
    "too_long": "视频时长需在 15 到 60 秒之间",
    "timeout": "内容检查超时，请重新发布",
    # The media area's own words: the file never arrived, or no outcome came within a day.
    "missing": "上传的文件没有收到，请重新上传",
    "abandoned": "文件上传没有完成，请重新上传",
}
# Why a post waits for a person: the same words read differently while nothing is decided yet.
REVIEW_REASONS: dict[str, str] = {
    "text": "文字内容需要人工确认",
    "image": "图片需要人工确认",
    "reports": "多位用户举报了这条内容",
    "reported": "多位用户举报了这条内容",
}
REVIEW_KNOWN = {**REASONS, **REVIEW_REASONS}
# An admin may reject in their own words; shown as written (they are the brand's), cut to this.
ADMIN_WORDS_CHARS = 60
_HAN = re.compile(r"[\u3400-\u9fff]")
# A post's text quoted in a notification is cut to this many characters.
SNIPPET_CHARS = 20
# A reason is part of a dedupe key (a sort key): bounded, whatever the producer sends.
REASON_KEY_CHARS = 64

_WORD = re.compile(r"[a-z_]+")

# The tiers the brand defines (settings `tiers`); one it adds later is shown by its name until named here.
TIER_NAMES = {"bronze": "铜卡", "silver": "银卡", "gold": "金卡", "platinum": "白金卡", "diamond": "钻石卡"}

ORDER_STATUS_WORDS = {
    "pending_review": "待审核",
    "pending_payment": "待支付",
    "confirmed": "已确认",
    "fulfilled": "已发放",
    "cancelled": "已取消",
}


def reason_sentence(reason: str, known: dict[str, str] = REASONS) -> str:
    """The sentence for a producer's reason: an admin's own Chinese words as written; else the word
    itself; else the most specific (last) known word in it (`"media:too_large"`, `"label:porn"`);
    else the generic sentence."""
    if _HAN.search(reason):
        return snippet(reason, ADMIN_WORDS_CHARS)
    normalized = reason.strip().lower()
    if normalized in known:
        return known[normalized]
    for word in reversed(_WORD.findall(normalized)):
        if word in known:
            return known[word]
    return GENERIC_REASON


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def draft(event: InboxEvent) -> NoticeDraft:
    """The notification an event asks for."""
    match event:
        case RedemptionPlaced():
            return _redemption_placed(event)
        case RedemptionStatusChanged():
            return _redemption_status_changed(event)
        case PostPublished():
            quoted = snippet(event.text)
            text = f"你的帖子「{quoted}」已发布，快去看看吧。" if quoted else "你的帖子已发布，快去看看吧。"
            # A post can be published again when a review approves it: each publication is told once.
            happening = f"published#{event.published_at}#{event.occurred_at}"
            return _post(event.author_id, event.post_id, "post_published", text, happening)
        case PostInReview():
            why = reason_sentence(event.reason, REVIEW_KNOWN) if event.reason else "需要人工确认"
            if event.was_published:
                text = f"你的帖子正在人工审核（{why}），审核期间暂时隐藏，通过后会恢复显示。"
            else:
                text = f"你的帖子正在人工审核（{why}），审核通过后会自动发布。"
            happening = f"in_review#{event.occurred_at}#{event.reason[:REASON_KEY_CHARS]}"
            return _post(event.author_id, event.post_id, "post_in_review", text, happening)
        case PostTakenDown() | PostRejected(was_published=True):
            text = f"你的帖子已被下架：{reason_sentence(event.reason)}。因这篇帖子获得的积分将被扣回。"
            return _post(event.author_id, event.post_id, "post_taken_down", text, "taken_down")
        case PostRejected():
            text = f"你的帖子未能发布：{reason_sentence(event.reason)}。请修改后重新发布。"
            return _post(event.author_id, event.post_id, "post_rejected", text, "rejected")
        case MediaRejected():
            text = f"你上传的图片或视频未通过检查：{reason_sentence(event.reason)}。"
            return NoticeDraft(
                user_id=event.owner_id,
                kind="media_rejected",
                text=text,
                ref=NotificationRef(type="media", id=event.media_id),
                dedupe_key=f"media#{event.media_id}#rejected",
            )
        case PointsExpiringSoon():
            return NoticeDraft(
                user_id=event.user_id,
                kind="points_expiring",
                text=f"您有 {event.points} 积分将于 {_day(event.expires_on)} 过期，请尽快使用。",
                ref=NotificationRef(type="points", id=event.expires_on),
                dedupe_key=f"points#expiring#{event.expires_on}",
            )
        case TierChanged():
            tier = TIER_NAMES.get(event.to_tier, event.to_tier)
            return NoticeDraft(
                user_id=event.user_id,
                kind="tier_promoted",
                text=(
                    f"恭喜！你已升级为{tier}会员（累计获得 {event.lifetime_earned} 积分），"
                    "之后获得积分将享受更高倍数奖励。"
                ),
                ref=NotificationRef(type="points", id=event.to_tier),
                # Tiers only go up: each is reached once.
                dedupe_key=f"tier#{event.to_tier}",
            )
    raise TypeError(f"no notification for {type(event).__name__}")


def _day(iso_date: str) -> str:
    """`2026-12-31` as `2026年12月31日`: the last day the points can be used."""
    year, month, day = iso_date.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def _post(author_id: str, post_id: str, kind: NotificationKind, text: str, happening: str) -> NoticeDraft:
    return NoticeDraft(
        user_id=author_id,
        kind=kind,
        text=text,
        ref=NotificationRef(type="post", id=post_id),
        dedupe_key=f"post#{post_id}#{happening}",
    )


def _reward(name: str, quantity: int) -> str:
    return f"「{name}」" if quantity <= 1 else f"「{name}」×{quantity}"


def _redemption_placed(event: RedemptionPlaced) -> NoticeDraft:
    reward = _reward(event.reward_name, event.quantity)
    if event.status == "pending_review":
        text = f"你已提交兑换{reward}，使用 {event.points} 积分，订单正在审核，结果会通知你。"
    elif event.status == "pending_payment":
        text = f"你已提交兑换{reward}，使用 {event.points} 积分，完成支付后订单即确认。"
    else:
        text = f"兑换成功：{reward}，使用 {event.points} 积分。"
    return NoticeDraft(
        user_id=event.user_id,
        kind="redemption_placed",
        text=text,
        ref=NotificationRef(type="order", id=event.order_id),
        dedupe_key=f"order#{event.order_id}#placed",
    )


def _redemption_status_changed(event: RedemptionStatusChanged) -> NoticeDraft:
    reward = _reward(event.reward_name, 1)
    refund = f"，{event.points} 积分已退回你的账户" if event.points > 0 else ""
    if event.to_status == "confirmed" and event.from_status == "pending_review":
        text = f"你兑换的{reward}已通过审核，订单已确认。"
    elif event.to_status == "confirmed":
        text = f"你兑换的{reward}订单已确认。"
    elif event.to_status == "fulfilled":
        text = f"你兑换的{reward}已发放，请留意查收。"
    elif event.to_status == "cancelled" and event.from_status == "pending_review":
        text = f"你兑换的{reward}未通过审核，订单已取消{refund}。"
    elif event.to_status == "cancelled":
        text = f"你兑换的{reward}订单已取消{refund}。"
    else:
        status = ORDER_STATUS_WORDS.get(event.to_status, event.to_status)
        text = f"你兑换的{reward}订单状态已更新为：{status}。"
    return NoticeDraft(
        user_id=event.user_id,
        kind="redemption_status_changed",
        text=text,
        ref=NotificationRef(type="order", id=event.order_id),
        # An order reaches each status once (the mall's state machine moves forward only).
        dedupe_key=f"order#{event.order_id}#{event.to_status}",
    )
