"""POST /v1/shares on its sample: a signed link, its path, what it may earn, nothing paid for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from earnloop.platform import aws
from earnloop.platform.dynamo import marshal
from earnloop.points.earning_rules import forget_cached_rules
from earnloop.points.rule_store import rule_key
from earnloop.sharing.tokens import verify

from tests.integration.sharing.sharing_harness import bus_event, iso_now
from tests.support.lambdas import all_items, assert_problem, call_http, invoke, sqs_event


def test_a_share_answers_a_signed_token_its_path_and_the_share_rules_points(sharing):
    answer = sharing.share("li", "post", "01JDQ40M2X7V6B5N4M3K2J1H0G")

    assert answer.status == 201, answer.body
    body = answer.json
    assert set(body) == {"share_id", "referral_token", "path", "points"}
    assert body["points"] == 5  # the share rule's default: earned later, not now
    assert body["path"] == f"pages/post/index?id=01JDQ40M2X7V6B5N4M3K2J1H0G&rt={body['referral_token']}"
    assert len(body["referral_token"]) <= 128  # what POST /v1/auth/login accepts
    claims = verify(sharing.keys, body["referral_token"], datetime.now(UTC))
    assert (claims.share_id, claims.sharer_id) == (body["share_id"], "li")
    # About a month of referral power.
    assert timedelta(days=29) < claims.expires_at - datetime.now(UTC) <= timedelta(days=30)
    stored = sharing.share_item(body["share_id"])
    assert stored is not None
    assert (stored["sharer_id"], stored["target_type"], stored["target_id"]) == (
        "li",
        "post",
        "01JDQ40M2X7V6B5N4M3K2J1H0G",
    )
    assert "rewarded_at" not in stored


def test_rewards_and_products_get_their_own_pages_and_sharing_alone_pays_nothing(sharing):
    for target_type, page in (
        ("reward", "pages/reward/index?id=R1"),
        ("product", "pages/product/index?sku=SKU-001"),
    ):
        answer = sharing.share("li-pages", target_type, page.rsplit("=", 1)[1])
        assert answer.status == 201, answer.body
        assert answer.json["path"] == f"{page}&rt={answer.json['referral_token']}"

    sharing.pay()

    assert sharing.balance("li-pages") == 0


BAD_BODIES = [
    {"target_type": "user", "target_id": "P1"},
    {"target_type": "post", "target_id": ""},
    {"target_type": "post", "target_id": "P1&rt=mine"},
    {"target_type": "post", "target_id": "x" * 65},
    {"target_type": "post"},
    {"target_type": "post", "target_id": 42},
    {"target_type": "post", "target_id": "P1", "points": 100},
]


def test_a_share_needs_a_session_and_a_well_formed_target(sharing, moto_cloud):
    before = all_items(sharing.table)
    answer = call_http("shares_create", body={"target_type": "post", "target_id": "P1"})
    assert_problem(answer, 401, "unauthenticated")
    token = moto_cloud.token("li")
    for body in BAD_BODIES:
        assert_problem(call_http("shares_create", token=token, body=body), 422, "validation_error")
    assert all_items(sharing.table) == before


def test_while_the_share_rule_is_off_a_share_shows_and_earns_nothing(sharing, moto_cloud):
    table = moto_cloud.settings.table_name("points")
    rule = {
        **rule_key("share"),
        "name": "share",
        "points": 5,
        "daily_cap": 25,
        "enabled": False,
        "version": 1,
    }
    aws.dynamodb().put_item(TableName=table, Item=marshal(rule))
    forget_cached_rules()
    try:
        answer = sharing.share("li-off")
        assert answer.status == 201 and answer.json["points"] == 0
        rewarded = {
            "share_id": answer.json["share_id"],
            "sharer_id": "li-off",
            "friend_id": "wang",
            "trigger": "like",
            "rewarded_at": iso_now(),
        }
        event = sqs_event("sqs/points_earn.json", bus_event("ShareRewarded", "earnloop.sharing", rewarded))
        assert invoke("points_earn", event) == {"batchItemFailures": []}
        assert sharing.entries("li-off") == {}
    finally:
        aws.dynamodb().delete_item(TableName=table, Key=marshal(rule_key("share")))
        forget_cached_rules()
