"""The committed OpenAPI document is the one the code generates (`make openapi` refreshes it)."""

from __future__ import annotations

import json
from pathlib import Path

from earnloop.platform.app import openapi_json

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_committed_openapi_document_is_current():
    assert COMMITTED.is_file(), "run `make openapi`"
    assert json.loads(COMMITTED.read_text()) == json.loads(openapi_json()), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def test_every_operation_documents_its_problem_responses():
    document = json.loads(openapi_json())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("4XX", "422"):
                assert "application/problem+json" in operation["responses"][status]["content"], (method, path)
