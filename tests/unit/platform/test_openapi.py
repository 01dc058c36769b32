"""The committed OpenAPI document is the one the code generates (`make openapi` refreshes it)."""

from __future__ import annotations

import json
from pathlib import Path

from earnloop.contexts import routers
from earnloop.platform.app import openapi_json

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_committed_openapi_document_is_current():
    assert COMMITTED.is_file(), "run `make openapi`"
    assert json.loads(COMMITTED.read_text()) == json.loads(openapi_json(routers())), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def test_every_operation_documents_its_problem_responses():
    document = json.loads(openapi_json(routers()))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("4XX", "422"):
                assert "application/problem+json" in operation["responses"][status]["content"], (method, path)


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict, ref: str) -> object:
    assert ref.startswith("#/"), ref
    node: object = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def test_every_ref_of_the_committed_and_the_generated_document_resolves():
    for document in (json.loads(COMMITTED.read_text()), json.loads(openapi_json(routers()))):
        refs = _refs(document)
        assert "#/components/schemas/ValidationProblem" in refs
        for ref in refs:
            assert isinstance(_resolve(document, ref), dict), ref
        problem = _resolve(document, "#/components/schemas/ValidationProblem")
        assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
