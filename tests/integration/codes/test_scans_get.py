"""GET /v1/scans/{scan_id}: one GetItem, visible to the claimant only."""

from __future__ import annotations

from tests.support.lambdas import assert_problem, call_http


def get(codes, user: str, scan_id: str):
    return codes.as_user(user, "scans_get", path_parameters={"scan_id": scan_id})


def test_the_claimant_sees_an_accepted_scan_without_credited_at(codes):
    batch = codes.create_batch(points=30)
    scan_id = codes.scan("u1", codes.code(batch["batch_id"], 8)).json["scan_id"]

    response = get(codes, "u1", scan_id)

    assert response.status == 200, response.body
    assert response.json == {"scan_id": scan_id, "status": "accepted", "points": 30}


def test_anyone_else_or_an_unknown_or_malformed_id_gets_404(codes):
    batch = codes.create_batch()
    scan_id = codes.scan("u1", codes.code(batch["batch_id"], 8)).json["scan_id"]

    for user, wanted in (
        ("u2", scan_id),
        ("u1", f"{batch['batch_id']}-9"),
        ("u1", "nope"),
        ("u1", "AAAAAAAA-0"),
    ):
        assert_problem(get(codes, user, wanted), 404, "not_found")


def test_reading_a_scan_needs_a_session(codes):
    assert_problem(call_http("scans_get", path_parameters={"scan_id": "AAAAAAAA-1"}), 401, "unauthenticated")
