# The expected texts use Chinese full-width punctuation on purpose.
# ruff: noqa: RUF001
"""What each event tells its recipient, and the keys that make a redelivery a no-op (pure rules)."""

from __future__ import annotations

import pytest
from earnloop.identity.consumed_events import (
    MediaRejected,
    PostInReview,
    PostPublished,
    PostRejected,
    RedemptionStatusChanged,
)
from earnloop.identity.notifications_models import MarkRead, Notification, NotificationRef
from earnloop.identity.notifications_texts import GENERIC_REASON, draft, reason_sentence, snippet
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("porn", "内容含有色情信息"),
        ("  SPAM ", "内容含有广告或营销信息"),
        ("label:politics", "内容涉及敏感话题"),
        ("image moderation: violence", "内容含有暴力或血腥画面"),
        ("duration", "视频时长需在 15 到 60 秒之间"),
        ("unsupported_type", "文件格式不受支持（图片支持 JPEG、PNG、WebP、HEIC，视频支持 MP4、MOV）"),
        ("media:too_large", "文件太大（图片不超过 10 MB，视频不超过 50 MB）"),
        ("media:rejected", "帖子中的图片或视频未通过检查"),
        ("text", "文字内容不符合社区规范"),
        ("admin", "经人工审核，内容不符合社区规范"),
        ("trailing_data", "文件中夹带了无法识别的数据"),
        ("图片与产品无关", "图片与产品无关"),
        ("  含有 联系方式\n请删除后重新发布  ", "含有 联系方式 请删除后重新发布"),
        ("20002", GENERIC_REASON),
        ("", GENERIC_REASON),
        ("<script>", GENERIC_REASON),
    ],
)
def test_a_reason_word_becomes_a_sentence_and_an_unknown_one_the_generic_sentence(reason, sentence):
    assert reason_sentence(reason) == sentence


def test_a_snippet_is_one_line_of_at_most_20_characters():
    assert snippet("  短\n文本  ") == "短 文本"
    assert snippet("一" * 21) == "一" * 20 + "…"
    assert snippet("一" * 20) == "一" * 20


def status(to_status: str, from_status: str = "confirmed", points: int = 300) -> RedemptionStatusChanged:
    return RedemptionStatusChanged(
        order_id="O1",
        user_id="U1",
        reward_id="R1",
        reward_name="杯子",
        from_status=from_status,
        to_status=to_status,
        points=points,
    )


def test_a_cancelled_order_says_the_points_came_back_only_when_there_were_points():
    assert draft(status("cancelled")).text == "你兑换的「杯子」订单已取消，300 积分已退回你的账户。"
    assert draft(status("cancelled", points=0)).text == "你兑换的「杯子」订单已取消。"


def test_an_unknown_order_status_is_still_told_plainly():
    assert draft(status("pending_payment")).text == "你兑换的「杯子」订单状态已更新为：待支付。"
    assert draft(status("lost_in_post")).text == "你兑换的「杯子」订单状态已更新为：lost_in_post。"


def test_each_happening_has_its_own_key_and_the_same_happening_the_same_key():
    keys = [
        draft(status("confirmed", "pending_review")).dedupe_key,
        draft(status("fulfilled")).dedupe_key,
        draft(status("cancelled")).dedupe_key,
        draft(
            PostPublished(post_id="P1", author_id="U1", published_at="2026-12-01T00:00:00.000Z")
        ).dedupe_key,
        draft(
            PostPublished(post_id="P1", author_id="U1", published_at="2026-12-02T00:00:00.000Z")
        ).dedupe_key,
        draft(
            PostPublished(
                post_id="P1", author_id="U1", published_at="2026-12-02T00:00:00.000Z", occurred_at="x"
            )
        ).dedupe_key,
        draft(PostInReview(post_id="P1", author_id="U1", reason="reported")).dedupe_key,
        draft(PostInReview(post_id="P1", author_id="U1", reason="porn")).dedupe_key,
        draft(
            PostInReview(post_id="P1", author_id="U1", reason="porn", occurred_at="2026-12-03T00:00:00Z")
        ).dedupe_key,
        draft(PostRejected(post_id="P1", author_id="U1", reason="porn")).dedupe_key,
        draft(MediaRejected(media_id="P1", owner_id="U1", reason="damaged")).dedupe_key,
    ]
    assert len(set(keys)) == len(keys)
    assert draft(status("fulfilled")).dedupe_key == draft(status("fulfilled")).dedupe_key


def test_a_long_reason_keeps_the_key_bounded():
    key = draft(PostInReview(post_id="P1", author_id="U1", reason="x" * 5000)).dedupe_key
    assert len(key) < 100


def test_a_note_is_read_when_marked_or_at_or_below_the_watermark():
    def note(note_id: str, read_at: str | None = None) -> Notification:
        return Notification(
            id=note_id,
            user_id="U1",
            kind="post_rejected",
            text="t",
            ref=NotificationRef(type="post", id="P1"),
            created_at="2026-12-02T00:00:00.000Z",
            read_at=read_at,
        )

    watermark = "01JDQ3Z8V7X6M5N4B3C2A1Z0YM"
    assert note("01JDQ3Z8V7X6M5N4B3C2A1Z0YM").public(watermark).read
    assert note("01JDQ3Z8V7X6M5N4B3C2A1Z0Y0").public(watermark).read
    assert not note("01JDQ3Z8V7X6M5N4B3C2A1Z0YN").public(watermark).read
    assert not note("01JDQ3Z8V7X6M5N4B3C2A1Z0YN").public(None).read
    assert note("01JDQ3Z8V7X6M5N4B3C2A1Z0YN", read_at="2026-12-02T01:00:00.000Z").public(None).read


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"all": False}, {"ids": ["01JDQ3Z8V7X6M5N4B3C2A1Z0YU"]}, {"ids": ["x"], "all": True}],
)
def test_mark_read_takes_either_ids_or_all(body):
    with pytest.raises(ValidationError):
        MarkRead.model_validate(body)


def test_mark_read_accepts_ids_or_all():
    assert MarkRead.model_validate({"all": True}).all is True
    assert MarkRead.model_validate({"ids": ["01JDQ3Z8V7X6M5N4B3C2A1Z0YX"]}).ids == [
        "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
    ]


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("text", "文字内容需要人工确认"),
        ("image", "图片需要人工确认"),
        ("reports", "多位用户举报了这条内容"),
        ("", "需要人工确认"),
    ],
)
def test_a_post_in_review_says_what_waits_for_a_person(reason, why):
    text = draft(PostInReview(post_id="P1", author_id="U1", reason=reason)).text
    assert text == f"你的帖子正在人工审核（{why}），审核通过后会自动发布。"


def test_an_admins_own_words_are_cut_to_60_characters():
    assert reason_sentence("长" * 61) == "长" * 60 + "…"
