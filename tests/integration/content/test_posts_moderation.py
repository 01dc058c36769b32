"""Deleting posts, comments, reports and the admins' moderation queue, through the handlers."""

from __future__ import annotations

import pytest

from tests.integration.content.posts_harness import Posts
from tests.support.lambdas import all_items, assert_problem, call_http


@pytest.fixture
def posts(moto_cloud) -> Posts:
    return Posts(moto_cloud)


def published(posts: Posts, user: str = "alice", text: str = "my fruit bowl") -> str:
    created = posts.create(user, text=text)
    assert created.status == 201 and created.json["status"] == "published", created.body
    return str(created.json["post_id"])


def in_review(posts: Posts) -> str:
    created = posts.create("alice", text="demo-review caption")
    assert created.json["status"] == "in_review", created.body
    return str(created.json["post_id"])


def audit(posts: Posts) -> list[tuple[str, str, str, dict, dict]]:
    """The content table's audit records: (actor, action, reason, before, after), oldest first."""
    records = sorted(
        (i for i in all_items(posts.table) if i.get("entity") == "AdminAction"), key=lambda i: i["sk"]
    )
    return [(r["actor"], r["action"], r["reason"], r["before"], r["after"]) for r in records]


def distinct(events: list[dict], detail_type: str) -> list[dict]:
    return list(
        {e["detail"]["event_id"]: e["detail"] for e in events if e["detail-type"] == detail_type}.values()
    )


# Deleting


def test_another_user_cannot_delete_a_post_nor_see_a_rejected_one(posts) -> None:
    public = published(posts)
    rejected = posts.create("alice", text="demo-reject words").json["post_id"]

    assert_problem(posts.on_post("posts_delete", "bob", public), 403, "forbidden")
    assert_problem(posts.on_post("posts_delete", "bob", rejected), 404, "not_found")
    assert_problem(posts.get("bob", rejected), 404, "not_found")
    assert posts.get("alice", rejected).json["reason"] == "text"
    assert posts.get("bob", public).status == 200


def test_the_author_deletes_a_post_and_its_comments_go_with_it(posts) -> None:
    post_id = published(posts)
    for text in ("nice", "yum"):
        assert posts.on_post("comments_create", "bob", post_id, body={"text": text}).status == 201

    deleted = posts.on_post("posts_delete", "alice", post_id)

    assert deleted.status == 204 and deleted.body == ""
    assert_problem(posts.get("alice", post_id), 404, "not_found")
    assert_problem(posts.on_post("posts_delete", "alice", post_id), 404, "not_found")
    assert_problem(posts.on_post("comments_list", "alice", post_id), 404, "not_found")
    item = posts.item(post_id)
    assert item is not None and (item["status"], item["removed_by"]) == ("removed", "author")
    posts.run_posts_worker()
    from tests.support.lambdas import all_items

    left = [i for i in all_items(posts.table) if post_id in i["pk"] and i["sk"] != "POST"]
    assert left == []
    [removed] = distinct(posts.events("feed"), "PostRemoved")
    assert (removed["by"], removed["was_published"]) == ("author", True)
    assert audit(posts) == []  # an author's own delete is not an admin action


def test_an_admin_deletes_anyones_post_audited_and_a_demoted_one_cannot(posts, moto_cloud) -> None:
    post_id = published(posts)
    moto_cloud.register("former-admin")  # exists, without the admin role any more
    token = moto_cloud.token("former-admin", "admin", registered=False)
    refused = call_http("posts_delete", token=token, path_parameters={"post_id": post_id})
    assert_problem(refused, 403, "forbidden")
    assert posts.item(post_id)["status"] == "published" and audit(posts) == []

    assert posts.on_post("posts_delete", "admin-1", post_id, "admin").status == 204
    assert posts.item(post_id)["removed_by"] == "admin"
    assert audit(posts) == [
        ("admin:admin-1", "post.remove", "removed by admin", {"status": "published"}, {"status": "removed"})
    ]


# Comments


def test_comments_are_paged_oldest_first_and_counted(posts) -> None:
    post_id = published(posts)
    for i in range(3):
        answer = posts.on_post("comments_create", f"reader{i}", post_id, body={"text": f"comment {i}"})
        assert answer.status == 201, answer.body
        assert answer.json["author"]["id"] == f"reader{i}"

    first = posts.call("comments_list", "bob", path_parameters={"post_id": post_id}, query={"limit": "2"})
    assert first.status == 200, first.body
    assert [c["text"] for c in first.json["items"]] == ["comment 0", "comment 1"]
    rest = posts.call(
        "comments_list",
        "bob",
        path_parameters={"post_id": post_id},
        query={"limit": "2", "cursor": first.json["next_cursor"]},
    )
    assert [c["text"] for c in rest.json["items"]] == ["comment 2"] and "next_cursor" not in rest.json
    assert posts.get("bob", post_id).json["comment_count"] == 3
    added = distinct(posts.events("feed"), "CommentAdded")
    assert len(added) == 3 and {a["post_author_id"] for a in added} == {"alice"}
    bad = posts.call("comments_list", "bob", path_parameters={"post_id": post_id}, query={"cursor": "x"})
    assert_problem(bad, 422, "validation_error")


def test_a_comment_refused_by_moderation_is_422_and_not_stored(posts) -> None:
    post_id = published(posts)

    for text in ("demo-reject!", "demo-review?"):
        problem = assert_problem(
            posts.on_post("comments_create", "bob", post_id, body={"text": text}), 422, "validation_error"
        )
        assert problem["errors"][0]["loc"] == ["body", "text"]
    assert posts.get("bob", post_id).json["comment_count"] == 0


def test_nobody_comments_on_a_post_that_is_not_published(posts) -> None:
    post_id = in_review(posts)

    assert_problem(posts.on_post("comments_create", "alice", post_id, body={"text": "hi"}), 404, "not_found")


# Reports


def test_three_distinct_reporters_send_a_published_post_to_review(posts, moto_cloud) -> None:
    post_id = published(posts)

    for reporter in ("r1", "r2", "r2"):
        answer = posts.on_post("reports_create", reporter, post_id, body={"reason": "spam"})
        assert answer.status == 202, answer.body
    assert posts.get("bob", post_id).json["status"] == "published"  # r2 counted once
    assert_problem(posts.on_post("reports_create", "alice", post_id, body={"reason": "x"}), 403, "forbidden")

    assert posts.on_post("reports_create", "r3", post_id, body={"reason": "spam"}).status == 202

    assert_problem(posts.get("bob", post_id), 404, "not_found")
    mine = posts.get("alice", post_id).json
    assert (mine["status"], mine["reason"]) == ("in_review", "reports")
    [review] = distinct(posts.events("feed"), "PostInReview")
    assert (review["reason"], review["was_published"]) == ("reports", True)
    queue = posts.call("admin_moderation_list", "admin-1", "admin").json["items"]
    assert [(i["post_id"], i["report_count"]) for i in queue] == [(post_id, 3)]


# The admins' queue


def test_the_moderation_queue_pages_posts_in_review_and_is_for_admins(posts) -> None:
    waiting = [in_review(posts) for _ in range(3)]
    published(posts)

    first = posts.call("admin_moderation_list", "admin-1", "admin", query={"limit": "2"})
    assert first.status == 200, first.body
    rest = posts.call(
        "admin_moderation_list", "admin-1", "admin", query={"limit": "2", "cursor": first.json["next_cursor"]}
    )
    listed = [i["post_id"] for i in first.json["items"] + rest.json["items"]]
    assert listed == waiting
    assert first.json["items"][0]["reason"] == "text"
    assert_problem(posts.call("admin_moderation_list", "bob"), 403, "forbidden")
    assert_problem(call_http("admin_moderation_list"), 401, "unauthenticated")


def test_an_admin_approves_a_post_in_review_and_it_leaves_the_queue(posts) -> None:
    post_id = in_review(posts)
    assert_problem(posts.on_post("admin_posts_approve", "bob", post_id), 403, "forbidden")

    approved = posts.on_post("admin_posts_approve", "admin-1", post_id, "admin")

    assert approved.status == 200, approved.body
    assert approved.json["status"] == "published"
    assert posts.get("bob", post_id).json["status"] == "published"
    assert posts.call("admin_moderation_list", "admin-1", "admin").json["items"] == []
    assert distinct(posts.events("feed"), "PostPublished")[0]["post_id"] == post_id
    # Approving again is harmless; a pending or unknown post is not in review.
    assert posts.on_post("admin_posts_approve", "admin-1", post_id, "admin").status == 200
    pending = posts.create("alice", media_ids=[posts.media("alice")]).json["post_id"]
    assert_problem(posts.on_post("admin_posts_approve", "admin-1", pending, "admin"), 404, "not_found")
    assert audit(posts) == [
        ("admin:admin-1", "post.approve", "approved", {"status": "in_review"}, {"status": "published"})
    ]


def test_rejecting_a_published_post_takes_it_down(posts) -> None:
    post_id = published(posts)

    rejected = posts.on_post(
        "admin_posts_reject", "admin-1", post_id, "admin", body={"reason": "advertising"}
    )

    assert rejected.status == 200, rejected.body
    assert (rejected.json["status"], rejected.json["reason"]) == ("rejected", "advertising")
    assert_problem(posts.get("bob", post_id), 404, "not_found")
    assert posts.get("alice", post_id).json["reason"] == "advertising"
    events = posts.events("feed")
    [taken] = distinct(events, "PostTakenDown")
    assert (taken["post_id"], taken["author_id"], taken["reason"]) == (post_id, "alice", "advertising")
    assert distinct(events, "PostRejected") == []
    assert audit(posts) == [
        ("admin:admin-1", "post.reject", "advertising", {"status": "published"}, {"status": "rejected"})
    ]


def test_rejecting_a_post_in_review_that_was_never_published_is_no_takedown(posts) -> None:
    post_id = in_review(posts)

    assert posts.on_post("admin_posts_reject", "admin-1", post_id, "admin", body={}).status == 200

    events = posts.events("feed")
    assert distinct(events, "PostTakenDown") == []
    assert distinct(events, "PostRejected")[0]["reason"] == "admin"


def test_a_demoted_admins_token_decides_nothing(posts, moto_cloud) -> None:
    post_id = in_review(posts)
    moto_cloud.register("former-admin")  # exists, without the admin role any more
    token = moto_cloud.token("former-admin", "admin", registered=False)

    for name in ("admin_posts_approve", "admin_posts_reject"):
        answer = call_http(name, token=token, path_parameters={"post_id": post_id}, body={})
        assert_problem(answer, 403, "forbidden")
    assert posts.get("alice", post_id).json["status"] == "in_review"
    assert audit(posts) == []


def test_a_post_id_that_is_not_one_of_ours_is_422_before_any_read(posts) -> None:
    for name in ("posts_get", "posts_delete", "comments_list", "reports_create"):
        body = {"reason": "spam"} if name == "reports_create" else None
        answer = posts.on_post(name, "bob", "x" * 2000, body=body)
        assert_problem(answer, 422, "validation_error")
