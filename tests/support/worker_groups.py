"""A pytest plugin: how `make test` spreads the suite over its workers (pytest-xdist, `--dist loadgroup`).

A module runs whole on one worker, so its module fixtures (a moto cloud, a local cloud, a started
`earnloop dev`) start once; every infra test shares one worker, so the CDK app is synthesized once.
Without xdist the marks change nothing. The summary lines a worker's conftest leaves in its
`workeroutput["summary_lines"]` (the infra synth time and template sizes) are printed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        item.add_marker(pytest.mark.xdist_group("infra" if path.startswith("tests/infra/") else path))


_SUMMARY = pytest.StashKey[list[str]]()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    lines = getattr(node, "workeroutput", {}).get("summary_lines", [])
    node.config.stash.setdefault(_SUMMARY, []).extend(lines)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for line in config.stash.get(_SUMMARY, []):
        terminalreporter.write_line(line)
