"""POST /v1/admin/code-batches/{batch_id}/revoke: idempotent, admin only."""

from __future__ import annotations

from earnloop.codes.events import derive
from earnloop.platform.events import Change

from tests.support.lambdas import assert_problem, call_http


def revoke(codes, batch_id: str, user: str = "admin"):
    if user == "admin":
        return codes.admin("code_batches_revoke", path_parameters={"batch_id": batch_id})
    return codes.as_user(user, "code_batches_revoke", path_parameters={"batch_id": batch_id})


def revocations(codes) -> list[dict]:
    return [i for i in codes.items() if i.get("action") == "code_batch.revoke"]


def test_revoking_twice_answers_the_revoked_batch_both_times(codes):
    batch = codes.create_batch()
    first = revoke(codes, batch["batch_id"])
    second = revoke(codes, batch["batch_id"])

    assert first.status == second.status == 200
    assert first.json == second.json == {**batch, "revoked": True}
    item = codes.item(f"BATCH#{batch['batch_id']}", "BATCH")
    assert item["revoked"] is True and item["revoked_by"] == "admin-1"
    # One audit record: the repeat changed nothing, so it recorded nothing.
    [record] = revocations(codes)
    assert (record["actor"], record["target"], record["before"], record["after"]) == (
        "admin:admin-1",
        batch["batch_id"],
        {"revoked": False},
        {"revoked": True},
    )
    [event] = derive(Change(table="codes", kind="INSERT", old=None, new=record))
    assert event.detail_type == "AdminActionRecorded" and event.action == "code_batch.revoke"


def test_codes_of_a_revoked_batch_stop_earning(codes):
    batch = codes.create_batch()
    revoke(codes, batch["batch_id"])
    body = assert_problem(codes.scan("u1", codes.code(batch["batch_id"], 1)), 400, "invalid_code")
    assert body["reason"] == "revoked"


def test_an_unknown_batch_is_404_and_non_admins_are_403(codes):
    assert_problem(revoke(codes, "AAAAAAAA"), 404, "not_found")
    assert_problem(revoke(codes, "not-an-id"), 404, "not_found")
    batch = codes.create_batch()
    assert_problem(revoke(codes, batch["batch_id"], user="u1"), 403, "forbidden")
    assert codes.item(f"BATCH#{batch['batch_id']}", "BATCH")["revoked"] is False
    assert revocations(codes) == []


def test_an_admin_deleted_or_demoted_since_the_token_was_issued_revokes_nothing(codes, moto_cloud):
    batch = codes.create_batch()
    path = {"batch_id": batch["batch_id"]}
    deleted = moto_cloud.token("admin-gone", "admin", registered=False)
    assert_problem(
        call_http("code_batches_revoke", token=deleted, path_parameters=path), 401, "unauthenticated"
    )
    moto_cloud.register("admin-demoted")
    demoted = moto_cloud.token("admin-demoted", "admin", registered=False)
    assert_problem(call_http("code_batches_revoke", token=demoted, path_parameters=path), 403, "forbidden")
    assert codes.item(f"BATCH#{batch['batch_id']}", "BATCH")["revoked"] is False
    assert revocations(codes) == []
