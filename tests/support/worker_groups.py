"""A pytest plugin: how `make test` spreads the suite over its workers (pytest-xdist).

A module runs whole on one worker, so its module fixtures (a moto cloud) start once; every infra
test shares one worker, so the CDK app is synthesized once; the modules that start local clouds or
`earnloop dev` share one worker too.
Without xdist nothing changes. The summary lines a worker's conftest leaves in its
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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's scope scheduling with our groups as the scopes: a scope goes whole to one worker.

    Not `xdist_group` marks with `--dist loadgroup`: xdist 3.8 writes the group into `item._nodeid`,
    which pytest 9 no longer reads, so every test was scheduled on its own."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid.split("::", 1)[0])

    return GroupScheduling(config, log)


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
