"""A pytest plugin: how `make test` spreads the suite over its workers (pytest-xdist, `--dist loadgroup`).

A module runs whole on one worker, so its module fixtures (a moto cloud) start once; every infra
test shares one worker, so the CDK app is synthesized once; the modules that start local clouds or
`earnloop dev` share one worker too.
Without xdist the marks change nothing. The summary lines a worker's conftest leaves in its
`workeroutput["summary_lines"]` (the infra synth time and template sizes) are printed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Both read one probe of every handler in a fresh interpreter (tests/support/handlers.py).
HANDLER_PROBES = (
    "tests/unit/composition/test_composition_root.py",
    "tests/unit/platform/test_snapshot_restore.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        item.add_marker(pytest.mark.xdist_group(_group(path)))


def _group(path: str) -> str:
    if path.startswith("tests/infra/"):
        return "infra"
    # Modules that start local clouds, `earnloop dev` and its commands share ports picked free, the
    # repo's `.local/` and the machine's loopback: one worker runs them one after another (under
    # CI's load, `earnloop redrive` found no cloud while another worker started one).
    if path.startswith(("tests/e2e/", "tests/integration/local/")):
        return "local-cloud"
    if path in HANDLER_PROBES:
        return "handler-probes"
    return path


_SUMMARY = pytest.StashKey[list[str]]()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    lines = getattr(node, "workeroutput", {}).get("summary_lines", [])
    node.config.stash.setdefault(_SUMMARY, []).extend(lines)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for line in config.stash.get(_SUMMARY, []):
        terminalreporter.write_line(line)
