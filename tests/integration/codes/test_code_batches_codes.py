"""GET /v1/admin/code-batches/{batch_id}/codes: CSV generated from the batch, in ranges."""

from __future__ import annotations

from earnloop.codes.codec import verify
from earnloop.codes.rules import MAX_EXPORT_ROWS

from tests.support.lambdas import assert_problem


def export(codes, batch_id: str, query: dict[str, str] | None = None, user: str = "admin"):
    event = {"path_parameters": {"batch_id": batch_id}, "query": query or {}}
    if user == "admin":
        return codes.admin("code_batches_codes", **event)
    return codes.as_user(user, "code_batches_codes", **event)


def rows(response) -> list[list[str]]:
    lines = response.body.splitlines()
    assert lines[0] == "serial,code,url"
    return [line.split(",") for line in lines[1:]]


def test_the_csv_lists_every_code_with_its_printable_url_and_every_code_verifies(codes):
    batch = codes.create_batch(count=40)

    response = export(codes, batch["batch_id"])

    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("text/csv")
    assert f"codes-{batch['batch_id']}-1-40.csv" in response.headers["content-disposition"]
    exported = rows(response)
    assert [int(serial) for serial, _, _ in exported] == list(range(1, 41))
    for serial, code, url in exported:
        assert url == f"http://127.0.0.1:8000/q/{code}"
        ref = verify(codes.keys, url, url_bases=codes.cloud.settings.qr_url_bases)
        assert (ref.batch_id, ref.serial) == (batch["batch_id"], int(serial))


def test_an_exported_code_scans_and_a_repeated_export_is_identical(codes):
    batch = codes.create_batch(count=5)
    first = export(codes, batch["batch_id"])
    _, _code, url = rows(first)[2]
    assert codes.scan("u1", url).status == 202
    # Exports are derived from the batch, so printing again gives the same codes.
    assert export(codes, batch["batch_id"]).body == first.body


def test_a_range_exports_only_its_serials_clipped_to_the_batch(codes):
    batch = codes.create_batch(count=40)
    exported = rows(export(codes, batch["batch_id"], {"start": "31", "count": "20"}))
    assert [int(serial) for serial, _, _ in exported] == list(range(31, 41))


def test_ranges_outside_the_batch_or_above_the_cap_are_422(codes):
    batch = codes.create_batch(count=40)
    for query in (
        {"start": "41"},
        {"start": "0"},
        {"count": "0"},
        {"count": str(MAX_EXPORT_ROWS + 1)},
        {"start": "x"},
    ):
        assert_problem(export(codes, batch["batch_id"], query), 422, "validation_error")


def test_a_deployed_stage_refuses_an_unranged_export_too_large_for_one_answer(codes, monkeypatch):
    from earnloop.platform.settings import get_settings

    batch = codes.create_batch(count=MAX_EXPORT_ROWS + 1)
    monkeypatch.setenv("EARNLOOP_STAGE", "prod")
    get_settings.cache_clear()
    body = assert_problem(export(codes, batch["batch_id"]), 422, "validation_error")
    assert body["max_count"] == MAX_EXPORT_ROWS
    ranged = export(codes, batch["batch_id"], {"start": str(MAX_EXPORT_ROWS + 1), "count": "5"})
    assert [int(serial) for serial, _, _ in rows(ranged)] == [MAX_EXPORT_ROWS + 1]


def test_unknown_batches_are_404_and_non_admins_403(codes):
    assert_problem(export(codes, "AAAAAAAA"), 404, "not_found")
    assert_problem(export(codes, "lower"), 404, "not_found")
    batch = codes.create_batch(count=3)
    assert_problem(export(codes, batch["batch_id"], user="u1"), 403, "forbidden")
