"""Follows under moto: the routes, the counts on /v1/me and the public profile, the lists, the
events the identity stream derives, and the following feed they feed through the content worker."""

from __future__ import annotations

from typing import Any

import pytest
from earnloop.identity.events import UserFollowed, UserUnfollowed, derive
from earnloop.platform.events import Change

from tests.integration.content.feed_harness import Feeds, event, published
from tests.integration.identity.checks import all_items, stored
from tests.support.lambdas import assert_problem, call_http

LI = "01JDQ3Z8V7X6M5N4B3C2A1ZLI0"
WANG = "01JDQ3Z8V7X6M5N4B3C2A1WANG"
ZHAO = "01JDQ3Z8V7X6M5N4B3C2A1ZHA0"


def follow(cloud: Any, who: str, whom: str, method: str = "follow") -> Any:
    name = "users_follow" if method == "follow" else "users_unfollow"
    return call_http(name, token=cloud.token(who), path_parameters={"user_id": whom})


def profile(cloud: Any, viewer: str, user: str) -> dict[str, Any]:
    answer = call_http("users_get", token=cloud.token(viewer), path_parameters={"user_id": user})
    assert answer.status == 200, answer.body
    return dict(answer.json)


def people(cloud: Any, user: str, direction: str, **query: str) -> dict[str, Any]:
    answer = call_http(
        f"users_{direction}", token=cloud.token(WANG), path_parameters={"user_id": user}, query=query
    )
    assert answer.status == 200, answer.body
    return dict(answer.json)


def test_follow_and_unfollow_are_idempotent_and_counted_once(moto_cloud):
    moto_cloud.register(LI)
    for _ in range(2):
        answer = follow(moto_cloud, WANG, LI)
        assert answer.status == 204 and answer.body == ""

    li = profile(moto_cloud, WANG, LI)
    assert (li["followers"], li["following"], li["followed"]) == (1, 0, True)
    me = call_http("me_get", token=moto_cloud.token(WANG)).json
    assert (me["followers"], me["following"]) == (0, 1)
    assert stored(f"USER#{WANG}", f"FOLLOWING#{LI}")["followed_at"]

    for _ in range(2):
        assert follow(moto_cloud, WANG, LI, "unfollow").status == 204
    li = profile(moto_cloud, WANG, LI)
    assert (li["followers"], li["followed"]) == (0, False)
    assert call_http("me_get", token=moto_cloud.token(WANG)).json["following"] == 0
    assert stored(f"USER#{WANG}", f"FOLLOWING#{LI}") is None
    assert stored(f"USER#{LI}", f"FOLLOWER#{WANG}") is None
    assert stored(f"USER#{WANG}", f"UNFOLLOWED#{LI}")["unfollowed_at"]


def test_self_follow_is_refused_and_a_missing_user_is_404_with_nothing_written(moto_cloud):
    assert_problem(follow(moto_cloud, WANG, WANG), 422, "validation_error")
    assert_problem(follow(moto_cloud, WANG, WANG, "unfollow"), 422, "validation_error")
    assert_problem(follow(moto_cloud, WANG, ZHAO), 404, "not_found")
    assert_problem(follow(moto_cloud, WANG, "bad id!"), 422, "validation_error")
    assert [item["sk"] for item in all_items()] == ["PROFILE"]
    answer = call_http("users_get", token=moto_cloud.token(WANG), path_parameters={"user_id": ZHAO})
    assert_problem(answer, 404, "not_found")


def test_lists_page_with_nicknames_and_refuse_a_foreign_cursor(moto_cloud):
    followers = [f"01JDQ3Z8V7X6M5N4B3C2A1F00{i}" for i in range(5)]
    moto_cloud.register(LI)
    for follower in followers:
        assert follow(moto_cloud, follower, LI).status == 204
    moto_cloud.register(WANG)
    assert follow(moto_cloud, LI, WANG).status == 204
    named = call_http("me_update", token=moto_cloud.token(followers[0]), body={"nickname": "小王"})
    assert named.status == 200, named.body

    first = people(moto_cloud, LI, "followers", limit="3")
    assert [row["id"] for row in first["items"]] == followers[:3]
    assert first["items"][0]["nickname"] == "小王" and first["items"][0]["followed_at"]
    rest = people(moto_cloud, LI, "followers", limit="3", cursor=first["next_cursor"])
    assert [row["id"] for row in rest["items"]] == followers[3:] and "next_cursor" not in rest
    assert [row["id"] for row in people(moto_cloud, LI, "following")["items"]] == [WANG]
    # A followers cursor is no following cursor (nor anyone else's: it carries no partition).
    answer = call_http(
        "users_following",
        token=moto_cloud.token(WANG),
        path_parameters={"user_id": LI},
        query={"cursor": first["next_cursor"]},
    )
    assert_problem(answer, 422, "validation_error")


def change(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Change:
    return Change("identity", kind, old, new)  # type: ignore[arg-type]


def test_the_stream_derives_one_event_per_follow_and_per_unfollow():
    edge = {"entity": "Follow", "follower_id": WANG, "followee_id": LI, "followed_at": "t1"}
    assert derive(change("INSERT", None, edge)) == [
        UserFollowed(follower_id=WANG, followee_id=LI, followed_at="t1")
    ]
    # The follower's reverse item and the unfollow's delete say nothing more.
    assert derive(change("INSERT", None, {**edge, "entity": "Follower"})) == []
    assert derive(change("REMOVE", edge, None)) == []
    gone = {"entity": "Unfollow", "follower_id": WANG, "followee_id": LI, "unfollowed_at": "t2"}
    expected = [UserUnfollowed(follower_id=WANG, followee_id=LI, unfollowed_at="t2")]
    assert derive(change("INSERT", None, gone)) == expected
    assert derive(change("MODIFY", {**gone, "unfollowed_at": "t0"}, gone)) == expected
    # The counters on the profile are no profile change.
    user = {"entity": "User", "user_id": LI, "created_at": "t0", "nickname": "Li"}
    assert derive(change("MODIFY", user, {**user, "follower_count": 1})) == []


def follows_event(detail_type: str, at: str, reader: str = WANG, author: str = "author-1") -> dict[str, Any]:
    field = "followed_at" if detail_type == "UserFollowed" else "unfollowed_at"
    return event(
        detail_type, source="earnloop.identity", follower_id=reader, followee_id=author, **{field: at}
    )


@pytest.fixture
def feeds(moto_cloud) -> Feeds:
    return Feeds(moto_cloud)


def test_a_follower_sees_the_followees_posts_published_after_the_follow(feeds):
    feeds.deliver(published("p1", minute=1))
    feeds.deliver(follows_event("UserFollowed", "2026-12-02T09:02:00.000Z"))
    feeds.deliver(published("p2", minute=3), published("p3", author_id="author-2", minute=4))
    assert feeds.ids(WANG, kind="following") == ["p2"]

    feeds.deliver(follows_event("UserUnfollowed", "2026-12-02T09:05:00.000Z"))
    feeds.deliver(published("p4", minute=6))
    assert feeds.ids(WANG, kind="following") == ["p2"]


def test_a_follow_delivered_after_its_unfollow_or_again_changes_nothing(feeds):
    followed, unfollowed = "2026-12-02T09:02:00.000Z", "2026-12-02T09:03:00.000Z"
    feeds.deliver(follows_event("UserUnfollowed", unfollowed), follows_event("UserFollowed", followed))
    feeds.deliver(published("p1", minute=4))
    assert feeds.ids(WANG, kind="following") == []

    # Followed again later: the newest happening wins, and a redelivery of it changes nothing.
    again = follows_event("UserFollowed", "2026-12-02T09:05:00.000Z")
    feeds.deliver(again, again, follows_event("UserUnfollowed", unfollowed))
    feeds.deliver(published("p2", minute=6))
    assert feeds.ids(WANG, kind="following") == ["p2"]
    assert feeds.item("FOLLOWERS#author-1", f"FOLLOWER#{WANG}")["following"] is True
