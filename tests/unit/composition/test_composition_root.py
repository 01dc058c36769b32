"""One composition root: the platform knows no context, and a deployed function loads only its own.

Each handler is imported in a fresh interpreter, as a Lambda cold start does
(tests/support/handlers.py), and the `earnloop.*` modules it loaded are compared with what its
context's code imports (read statically from the source).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
from earnloop.contexts import CONTEXTS, all_functions

from tests.support.handlers import probed_handlers

ROOT = Path(__file__).resolve().parents[3]
LIBRARY = ROOT / "layers" / "earnloop" / "python" / "earnloop"
BUSINESS = {c.name for c in CONTEXTS if c.name != "platform"}


@functools.cache
def _imported_packages(package: str) -> frozenset[str]:
    """The top-level `earnloop.<x>` packages that the modules of `earnloop.<package>` import."""
    found: set[str] = set()
    for path in (LIBRARY / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found |= {n.split(".")[1] for n in names if n.startswith("earnloop.") and n.count(".") >= 1}
    return frozenset(found)


def _closure(package: str) -> set[str]:
    seen, todo = {package}, [package]
    while todo:
        for imported in _imported_packages(todo.pop()) - seen:
            seen.add(imported)
            todo.append(imported)
    return seen


def _owner(name: str) -> str:
    return next(c.name for c in CONTEXTS for spec in c.functions if spec.name == name)


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    return {name: report["modules"] for name, report in probed_handlers().items()}


@pytest.mark.parametrize("spec", all_functions(), ids=lambda s: s.name)
def test_a_deployed_function_imports_only_its_own_context(loaded, spec):
    owner = _owner(spec.name)
    modules = loaded[spec.name]
    packages = {m.split(".")[1] for m in modules if m.count(".") >= 1}
    if spec.kind == "stream":
        # The stream publisher reads every table's changes: it alone is built from the root's list.
        assert "earnloop.contexts" in modules
        assert not [m for m in modules if m.endswith(".api") and m != "earnloop.platform.api"]
        return
    assert "earnloop.contexts" not in modules
    assert "local" not in packages, "the local cloud never ships"
    allowed = _closure(owner) | {"platform"}
    assert packages <= allowed, f"{spec.name} ({owner}) loaded {sorted(packages - allowed)}"
    others = BUSINESS - {owner}
    # No other context's router: a function's cold start never pays for another context's API.
    assert not [m for m in modules if m.endswith(".api") and m.split(".")[1] in others]
    if spec.kind == "http" and owner != "platform":
        assert f"earnloop.{owner}.api" in modules


def test_the_platform_imports_no_context():
    assert _imported_packages("platform") <= {"platform"}


def test_every_context_is_listed_once_and_declares_what_it_owns():
    names = [c.name for c in CONTEXTS]
    assert len(names) == len(set(names))
    packages = {p.name for p in LIBRARY.iterdir() if (p / "context.py").is_file()}
    assert packages - {"platform"} == BUSINESS, (
        "a context package with a context.py must be listed in earnloop.contexts"
    )
    for context in CONTEXTS:
        if context.table is not None:
            assert context.load_deriver() is not None
        assert context.router is None or context.load_router() is not None
