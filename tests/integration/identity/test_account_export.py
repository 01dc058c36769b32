"""`GET /v1/me/export` under moto: the caller's data from every context (profile, tags, follows,
inbox, points account and ledger, posts with media URLs, orders with addresses) and nobody else's;
a deleted account exports nothing."""

from __future__ import annotations

import json

from earnloop.content.media_store import MediaStore, Outcome
from earnloop.platform import aws
from earnloop.sharing.models import Opening
from earnloop.sharing.store import sharing_store

from tests.integration.content.posts_harness import Posts
from tests.integration.mall.mall_harness import ADDRESS, create_reward, fund, redeem
from tests.support.lambdas import assert_problem, call_http


def ready_media(posts: Posts, owner: str) -> str:
    media_id = posts.media(owner)
    renditions = {"display": f"media/{media_id}/display.jpg", "thumb": f"media/{media_id}/thumb.jpg"}
    outcome = Outcome(status="ready", renditions=renditions, moderation="pass", width=10, height=10)
    assert MediaStore(aws.dynamodb(), posts.table).record(media_id, outcome, "2026-12-02T09:00:05.000Z")
    return media_id


def test_the_export_holds_the_callers_data_from_every_context_and_nobody_elses(moto_cloud):
    posts = Posts(moto_cloud)
    li, wang = "01JDQ3Z8V7X6M5N4B3C2A1ZLI0", "01JDQ3Z8V7X6M5N4B3C2A1WANG"
    token = moto_cloud.token(li)
    moto_cloud.register(wang)
    assert call_http("me_update", token=token, body={"nickname": "小李"}).status == 200
    assert call_http("users_follow", token=token, path_parameters={"user_id": wang}).status == 204
    media_id = ready_media(posts, li)
    mine = posts.create(li, text="li's fruit bowl", media_ids=[media_id])
    assert mine.status == 201, mine.body
    theirs = posts.create(wang, text="wang's secret post")
    # Li likes both posts and takes one back; comments twice; Wang likes and comments too.
    post_ids = [mine.json["post_id"], theirs.json["post_id"]]
    for user, name, post_id in (
        (li, "posts_like", post_ids[0]),
        (li, "posts_like", post_ids[1]),
        (li, "posts_unlike", post_ids[0]),
        (wang, "posts_like", post_ids[0]),
    ):
        assert posts.on_post(name, user, post_id).status == 200
    for user, text in ((li, "li: lovely"), (wang, "wang: mine"), (li, "li: again")):
        assert posts.on_post("comments_create", user, post_ids[1], body={"text": text}).status == 201
    shared = {
        user: call_http(
            "shares_create", token=moto_cloud.token(user), body={"target_type": "post", "target_id": p}
        )
        for user, p in ((li, post_ids[0]), (wang, post_ids[1]))
    }
    assert {answer.status for answer in shared.values()} == {201}
    fund(li, 100)
    fund(wang, 70)
    reward = create_reward(moto_cloud, kind="physical", points=30, stock=5)
    order = redeem(moto_cloud, li, reward["reward_id"], "key-li-export", address=ADDRESS).json
    redeem(moto_cloud, wang, reward["reward_id"], "key-wang-export", address={**ADDRESS, "name": "Wang Fang"})

    for user, share in ((li, "share-li"), (wang, "share-wang")):
        opening = Opening(
            user_id=user,
            share_id=share,
            sharer_id="someone",
            target_type="post",
            target_id="p1",
            opened_at="2026-12-02T09:00:00.000Z",
        )
        assert sharing_store().put_opening(opening)
    answer = call_http("me_export", token=token)
    assert answer.status == 200, answer.body
    data = answer.json
    assert data["user_id"] == li and data["profile"]["nickname"] == "小李"
    assert [f["user_id"] for f in data["following"]] == [wang] and data["followers"] == []
    assert data["points"]["account"]["balance"] == 70
    history = data["points"]["history"]
    assert [e["delta"] for e in history] == [100, -30]
    assert sum(e["delta"] for e in history) == data["points"]["account"]["balance"]
    [post] = data["posts"]
    assert post["post_id"] == mine.json["post_id"] and post["text"] == "li's fruit bowl"
    assert set(post["media"][0]["urls"]) == {"display", "thumb"}
    [exported_order] = data["orders"]
    assert exported_order["order_id"] == order["order_id"] and exported_order["address"]["name"] == "Li Lei"
    assert [o["share_id"] for o in data["sharing"]["openings"]] == ["share-li"]
    assert [(like["post_id"], like["liked_at"][:4]) for like in data["likes"]] == [(post_ids[1], "2026")]
    assert [(c["text"], c["post_id"]) for c in data["comments"]] == [
        ("li: again", post_ids[1]),
        ("li: lovely", post_ids[1]),
    ]
    assert data["truncated"] == []
    assert data["sharing"]["referral"] is None
    assert [s["share_id"] for s in data["sharing"]["shares"]] == [shared[li].json["share_id"]]
    # Nothing of Wang's: not his post, order, address or ledger.
    text = json.dumps(data, ensure_ascii=False)
    theirs_only = ("wang's secret post", "wang: mine", "Wang Fang", f"scan#{wang}", "share-wang")
    for foreign in (*theirs_only, shared[wang].json["share_id"]):
        assert foreign not in text

    assert call_http("me_delete", token=token).status == 202
    assert_problem(call_http("me_export", token=token), 401, "unauthenticated")
