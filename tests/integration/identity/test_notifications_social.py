# The expected texts use Chinese full-width punctuation on purpose.
# ruff: noqa: RUF001
"""Issue 9's notes under moto, through the `notify_inbox` worker: likes grouped per post, comments,
follows, credited scans and referrals; each told once however the events are redelivered."""

from __future__ import annotations

from typing import Any

from tests.integration.identity.checks import all_items
from tests.support.lambdas import call_http, invoke, sample_body, sqs_event

LI = "01JDQ3Z8V7X6M5N4B3C2A1ZLI0"
WANG = "01JDQ3Z8V7X6M5N4B3C2A1WANG"
ZHAO = "01JDQ3Z8V7X6M5N4B3C2A1ZHA0"
SUN = "01JDQ3Z8V7X6M5N4B3C2A1SUN0"


def body(detail_type: str, source: str, **detail: Any) -> dict[str, Any]:
    envelope = sample_body("sqs/notify_inbox.json")
    envelope["detail-type"], envelope["source"] = detail_type, source
    envelope["detail"] = {"event_id": "rec:0", "occurred_at": "2026-12-02T10:00:00Z", **detail}
    return envelope


def liked(liker: str, post_id: str = "P1", at: str = "2026-12-02T10:00:00.000Z") -> dict[str, Any]:
    return body(
        "PostLiked", "earnloop.content", post_id=post_id, user_id=liker, post_author_id=LI, liked_at=at
    )


def deliver(*bodies: dict[str, Any]) -> None:
    assert invoke("notify_inbox", sqs_event("sqs/notify_inbox.json", *bodies)) == {"batchItemFailures": []}


def inbox(cloud: Any, user: str = LI) -> list[dict[str, Any]]:
    answer = call_http("notifications_list", token=cloud.token(user))
    assert answer.status == 200, answer.body
    return list(answer.json["items"])


def named(cloud: Any, user: str, nickname: str) -> None:
    assert call_http("me_update", token=cloud.token(user), body={"nickname": nickname}).status == 200


def unread(cloud: Any, user: str = LI) -> int:
    return int(call_http("me_get", token=cloud.token(user)).json["unread_notifications"])


def test_likes_of_a_post_are_one_note_that_grows_and_is_unread_again(moto_cloud):
    for user, nickname in ((WANG, "小王"), (ZHAO, "小赵"), (SUN, "小孙")):
        named(moto_cloud, user, nickname)
    deliver(liked(WANG))
    [note] = inbox(moto_cloud)
    assert (note["kind"], note["text"], note["ref"]) == (
        "post_liked",
        "小王 赞了你的帖子。",
        {"type": "post", "id": "P1"},
    )

    assert call_http("notifications_read", token=moto_cloud.token(LI), body={"all": True}).status == 204
    assert unread(moto_cloud) == 0
    deliver(liked(ZHAO))
    [note] = inbox(moto_cloud)
    assert note["text"] == "小赵、小王 赞了你的帖子。" and note["read"] is False
    assert unread(moto_cloud) == 1

    # A redelivery, a like again after an unlike and a self-like change nothing.
    deliver(liked(ZHAO), liked(ZHAO, at="2026-12-02T10:05:00.000Z"))
    deliver(body("PostLiked", "earnloop.content", post_id="P1", user_id=LI, post_author_id=LI, liked_at="t"))
    deliver(liked(SUN))
    [note] = inbox(moto_cloud)
    assert note["text"] == "小孙 等 3 人赞了你的帖子。"
    # Another post is another note; the group and notes are all in the author's partition.
    deliver(liked(WANG, post_id="P2"))
    assert [n["ref"]["id"] for n in inbox(moto_cloud)] == ["P2", "P1"]
    groups = [i for i in all_items() if i["sk"].startswith("LIKEGROUP#")]
    assert sorted((g["post_id"], g["count"]) for g in groups) == [("P1", 3), ("P2", 1)]


def test_comments_follows_scans_and_referrals_are_told_once(moto_cloud):
    named(moto_cloud, WANG, "小王")
    comment = body(
        "CommentAdded", "earnloop.content", post_id="P1", comment_id="C1", author_id=WANG, post_author_id=LI
    )
    own = body(
        "CommentAdded", "earnloop.content", post_id="P1", comment_id="C2", author_id=LI, post_author_id=LI
    )
    follow = body(
        "UserFollowed",
        "earnloop.identity",
        follower_id=WANG,
        followee_id=LI,
        followed_at="2026-12-02T10:00:00.000Z",
    )
    again = {**follow, "detail": {**follow["detail"], "followed_at": "2026-12-02T11:00:00.000Z"}}
    scan = body(
        "PointsChanged",
        "earnloop.points",
        txn_id="scan#B1-7",
        user_id=LI,
        entry_type="earn",
        delta=50,
        balance_after=120,
        reason="scan",
        created_at="2026-12-02T10:00:00.000Z",
    )
    checkin = {**scan, "detail": {**scan["detail"], "txn_id": "checkin#x", "reason": "checkin"}}
    referral = body("ReferralAccepted", "earnloop.sharing", referrer_id=LI, referee_id=WANG, share_id="S1")
    deliver(comment, own, follow, scan, checkin, referral)
    deliver(comment, follow, again, scan, referral)

    got = {note["kind"]: (note["text"], note["ref"]) for note in inbox(moto_cloud)}
    assert got == {
        "post_commented": ("小王 评论了你的帖子，快去看看吧。", {"type": "post", "id": "P1"}),
        "user_followed": ("小王 关注了你。", {"type": "user", "id": WANG}),
        "points_earned": ("扫码成功，获得 50 积分，当前共 120 积分。", {"type": "points", "id": "scan#B1-7"}),
        "referral_accepted": (
            "你邀请的好友 小王 已加入，邀请奖励积分将发放到你的账户。",
            {"type": "user", "id": WANG},
        ),
    }
    assert len(inbox(moto_cloud)) == 4
