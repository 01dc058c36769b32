"""API1:2023 Broken Object Level Authorization: another user's ids, with the attacker's own token.

Every `/v1` route that takes an id in its path is either attacked here or exempt with its reason
(the admin routes are API5's); a new id-taking route fails `test_every_id_taking_route_is_attacked_or_exempt`
until it is one or the other."""

from __future__ import annotations

from tests.security.attacker import Attacker, problem_code, route_keys

VICTIM = "u-api1-victim"
ATTACKER = "u-api1-attacker"

ATTACKED = {
    "GET /v1/media/{media_id}": "test_another_users_media_is_not_found",
    "GET /v1/scans/{scan_id}": "test_another_users_scan_is_not_found",
    "GET /v1/redemptions/{order_id}": "test_another_users_order_is_not_found",
    "DELETE /v1/posts/{post_id}": "test_another_users_post_cannot_be_deleted",
}
EXEMPT = {
    "GET /v1/users/{user_id}": "public profile (API.md): nickname, avatar, counts; no private field",
    "GET /v1/users/{user_id}/followers": "public follower list (docs/api-extensions.md)",
    "GET /v1/users/{user_id}/following": "public following list (docs/api-extensions.md)",
    "POST /v1/users/{user_id}/follow": "writes the caller's own follow edge; the id names its target",
    "DELETE /v1/users/{user_id}/follow": "removes the caller's own follow edge",
    "GET /v1/posts/{post_id}": "published posts are public; a removed one is 404 (tested below)",
    "GET /v1/posts/{post_id}/comments": "comments of a public post are public",
    "POST /v1/posts/{post_id}/comments": "the caller comments as themself on a public post",
    "POST /v1/posts/{post_id}/reports": "the caller reports a public post as themself",
    "PUT /v1/posts/{post_id}/like": "the caller's own like on a public post; a removed one is 404",
    "DELETE /v1/posts/{post_id}/like": "removes the caller's own like",
    "GET /v1/rewards/{reward_id}": "listed rewards are public; an unlisted one is 404 (tested below)",
}


def id_taking(route) -> bool:  # type: ignore[no-untyped-def]
    return route.path.startswith("/v1/") and not route.path.startswith("/v1/admin/") and "{" in route.path


def test_every_id_taking_route_is_attacked_or_exempt() -> None:
    assert route_keys(id_taking) == set(ATTACKED) | set(EXEMPT)
    assert not set(ATTACKED) & set(EXEMPT)
    assert all(name in globals() for name in ATTACKED.values())


def test_another_users_media_is_not_found(api: Attacker) -> None:
    media_id = api.media(VICTIM)

    stolen = api.call("GET", f"/v1/media/{media_id}", ATTACKER)

    assert stolen.status_code == 404 and problem_code(stolen) == "not_found"
    assert api.call("GET", f"/v1/media/{media_id}", VICTIM).status_code == 200


def test_another_users_media_cannot_be_attached_to_a_post(api: Attacker) -> None:
    media_id = api.media(VICTIM)
    body = {"text": "look", "media_ids": [media_id], "topics": []}

    answer = api.call("POST", "/v1/posts", ATTACKER, json=body)

    assert 400 <= answer.status_code < 500, answer.text
    assert answer.status_code != 201


def test_another_users_scan_is_not_found(api: Attacker) -> None:
    scan = api.scan(VICTIM, api.codes(1)[0])
    assert scan.status_code == 202, scan.text

    stolen = api.call("GET", f"/v1/scans/{scan.json()['scan_id']}", ATTACKER)

    assert stolen.status_code == 404 and problem_code(stolen) == "not_found"


def test_another_users_order_is_not_found(api: Attacker) -> None:
    api.fund(VICTIM, 300)
    order = api.redeem(VICTIM, api.reward())
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]

    stolen = api.call("GET", f"/v1/redemptions/{order_id}", ATTACKER)

    assert stolen.status_code == 404 and problem_code(stolen) == "not_found"
    listed = api.call("GET", "/v1/redemptions", ATTACKER).json()
    assert order_id not in str(listed)


def test_another_users_post_cannot_be_deleted(api: Attacker) -> None:
    post_id = api.post(VICTIM)

    answer = api.call("DELETE", f"/v1/posts/{post_id}", ATTACKER)

    # API.md: DELETE /v1/posts/{post_id} is the author's or an admin's.
    assert answer.status_code == 403 and problem_code(answer) == "forbidden"
    assert api.call("GET", f"/v1/posts/{post_id}", VICTIM).json()["status"] == "published"


def test_a_removed_post_is_gone_for_everyone_else(api: Attacker) -> None:
    post_id = api.post(VICTIM)
    assert api.call("DELETE", f"/v1/posts/{post_id}", VICTIM).status_code == 204

    assert api.call("GET", f"/v1/posts/{post_id}", ATTACKER).status_code == 404
    assert api.call("PUT", f"/v1/posts/{post_id}/like", ATTACKER).status_code == 404


def test_another_users_notifications_cannot_be_marked_read(api: Attacker) -> None:
    note_id = api.note(VICTIM)

    answer = api.call("POST", "/v1/notifications/read", ATTACKER, json={"ids": [note_id]})

    # Ids not in the caller's inbox are ignored (identity/api.py), so nothing tells them apart.
    assert answer.status_code == 204
    assert [(n["id"], n["read"]) for n in api.notes(VICTIM)] == [(note_id, False)]
    assert api.notes(ATTACKER) == []


def test_an_unlisted_reward_is_not_found_and_cannot_be_redeemed(api: Attacker) -> None:
    reward_id = api.reward(listed=False)
    api.fund(ATTACKER, 500)

    assert api.call("GET", f"/v1/rewards/{reward_id}", ATTACKER).status_code == 404
    order = api.redeem(ATTACKER, reward_id)
    assert order.status_code == 409 and problem_code(order) == "not_on_sale"
    assert api.call("GET", "/v1/points", ATTACKER).json()["balance"] == 500
