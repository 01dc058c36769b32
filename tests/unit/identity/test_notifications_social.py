"""The pure rules of issue 9's notes and subscribe messages: like texts, who is told, what a kind
needs to spend a scarce grant."""

from __future__ import annotations

import pytest
from earnloop.identity.consumed_events import CommentAdded, PointsChanged
from earnloop.identity.notifications_social import like_text, social_draft
from earnloop.identity.subscriptions import reserve


@pytest.mark.parametrize(
    ("latest", "count", "text"),
    [
        (["小王"], 1, "小王 赞了你的帖子。"),
        ([None], 1, "一位用户 赞了你的帖子。"),
        (["小赵", "小王"], 2, "小赵、小王 赞了你的帖子。"),
        (["小孙", "小赵"], 13, "小孙 等 13 人赞了你的帖子。"),
        # A nickname is cut to 12 characters.
        (["一个名字非常非常非常非常长的人"], 1, "一个名字非常非常非常非常… 赞了你的帖子。"),
    ],
)
def test_like_texts_name_the_newest_likers_and_count_the_rest(latest, count, text):
    assert like_text(latest, count) == text


def test_nobody_is_told_of_their_own_comment_or_of_an_earn_that_is_not_a_scan():
    own = CommentAdded(post_id="P1", comment_id="C1", author_id="U1", post_author_id="U1")
    assert social_draft(own, "小李") is None
    fields = {"txn_id": "t", "user_id": "U1", "delta": 5, "balance_after": 5}
    assert social_draft(PointsChanged(entry_type="earn", reason="checkin", **fields), None) is None
    assert social_draft(PointsChanged(entry_type="refund", reason="scan", **fields), None) is None
    scan = social_draft(PointsChanged(entry_type="earn", reason="scan", **fields), None)
    assert scan is not None and scan.dedupe_key == "points#t"


def test_valuable_kinds_need_fewer_grants_in_hand():
    assert reserve("points_expiring") == reserve("redemption_status_changed") == 1
    assert reserve("post_commented") == reserve("tier_promoted") == 2
    assert reserve("post_liked") == reserve("user_followed") == reserve("something_new") == 3
