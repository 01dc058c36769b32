"""API3:2023 Broken Object Property Level Authorization: a user cannot write a property that is not
theirs to write (mass assignment), and no answer shows a property that is not theirs to read."""

from __future__ import annotations

import pytest
from earnloop.identity.store import user_key
from earnloop.platform import aws
from earnloop.platform.dynamo import unmarshal

from tests.security.attacker import Attacker, problem_code

USER = "u-api3"
SMUGGLED = {
    "roles": ["admin"],
    "balance": 1_000_000,
    "status": "active",
    "tier": "diamond",
    "id": "u-someone-else",
    "user_id": "u-someone-else",
    "lifetime_earned": 999_999,
    "created_at": "2020-01-01T00:00:00.000Z",
}


def stored_profile(api: Attacker, user: str) -> dict[str, object]:
    item = aws.dynamodb().get_item(
        TableName=api.cloud.settings.table_name("identity"),
        Key={k: {"S": v} for k, v in user_key(user).items()},
    )["Item"]
    return unmarshal(item)


@pytest.mark.parametrize("field", sorted(SMUGGLED))
def test_patch_me_refuses_a_property_the_user_may_not_write(api: Attacker, field: str) -> None:
    before_me = api.call("GET", "/v1/me", USER).json()
    before_item = stored_profile(api, USER)

    answer = api.call("PATCH", "/v1/me", USER, json={"nickname": "Li", field: SMUGGLED[field]})

    assert answer.status_code == 422 and problem_code(answer) == "validation_error", answer.text
    assert api.call("GET", "/v1/me", USER).json() == before_me
    assert stored_profile(api, USER) == before_item


def test_smuggled_roles_never_reach_an_admin_route(api: Attacker) -> None:
    api.call("PATCH", "/v1/me", "u-api3-climber", json={"roles": ["admin"]})

    assert stored_profile(api, "u-api3-climber")["roles"] == []
    answer = api.call("GET", "/v1/admin/audit", "u-api3-climber")
    assert answer.status_code == 403 and problem_code(answer) == "forbidden"


def test_a_smuggled_points_field_on_a_redemption_is_refused(api: Attacker) -> None:
    api.fund("u-api3-buyer", 200)
    body = {"reward_id": api.reward(points=150), "quantity": 1, "points": 1}

    answer = api.call(
        "POST", "/v1/redemptions", "u-api3-buyer", json=body, headers={"Idempotency-Key": "k-api3"}
    )

    assert answer.status_code == 422, answer.text
    assert api.call("GET", "/v1/points", "u-api3-buyer").json()["balance"] == 200


def test_another_users_public_profile_shows_no_private_property(api: Attacker) -> None:
    api.fund("u-api3-rich", 500)
    api.call("PATCH", "/v1/me", "u-api3-rich", json={"nickname": "Rich"})

    seen = api.call("GET", "/v1/users/u-api3-rich", "u-api3-snoop").json()

    private = {"roles", "balance", "points", "status", "tags", "openid", "unionid", "phone", "segment"}
    assert not private & set(seen), seen
