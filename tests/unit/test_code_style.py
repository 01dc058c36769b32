"""The code reads the way STYLE.md asks: ruff's lint and format pass on everything we ship and test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["layers", "functions", "infra", "tests", "bench"]
# ruff comes with the dev extra that `make test` installs next to this interpreter.
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_reports_nothing(command):
    assert RUFF is not None, "ruff is not installed: run `make test`, which installs the dev extra"
    result = subprocess.run([RUFF, *command, *PATHS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_generic_module_names_in_the_library():
    library = ROOT / "layers" / "earnloop" / "python" / "earnloop"
    generic = {"utils.py", "common.py", "helpers.py", "misc.py"}
    assert not [p for p in library.rglob("*.py") if p.name in generic]


def test_mypy_reports_nothing_on_the_library(tmp_path):
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert mypy is not None, "mypy is not installed: run `make test`, which installs the dev extra"
    library = ROOT / "layers" / "earnloop" / "python" / "earnloop"
    result = subprocess.run(
        [mypy, "--cache-dir", str(tmp_path), str(library)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
