"""The dependency layer build: Linux arm64 wheels for the runtime's Python, rebuilt only on change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra import layer_build
from infra.functions import ARCHITECTURE, RUNTIME

pytestmark = pytest.mark.infra

PYPROJECT = """
[project]
name = "x"
dependencies = ["fastapi==0.165.0", "pydantic==2.13.4"]
"""


class FakePip:
    """Stands in for pip: records each command and leaves a package behind."""

    def __init__(self, fail: bool = False) -> None:
        self.commands: list[list[str]] = []
        self.fail = fail

    def __call__(self, command: list[str], check: bool) -> None:
        assert check
        self.commands.append(command)
        if self.fail:
            raise subprocess.CalledProcessError(1, command)
        site_packages = Path(command[command.index("--target") + 1])
        (site_packages / "fastapi").mkdir()


@pytest.fixture
def pyproject(tmp_path: Path) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    return path


def test_the_layer_holds_the_runtime_dependencies_of_pyproject() -> None:
    import tomllib

    declared = tomllib.loads(layer_build.PYPROJECT.read_text())["project"]["dependencies"]

    assert layer_build.requirements() == declared
    assert any(requirement.startswith("fastapi==") for requirement in declared)


def test_pip_fetches_only_linux_arm64_wheels_for_the_lambda_python(tmp_path: Path) -> None:
    command = layer_build.pip_command(["fastapi==0.165.0"], tmp_path / "python")

    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("--python-version") + 1] == layer_build.PYTHON_VERSION
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == str(tmp_path / "python")
    assert command[-1] == "fastapi==0.165.0"


def test_the_layer_build_and_the_functions_agree_on_runtime_and_architecture() -> None:
    assert RUNTIME.name == f"python{layer_build.PYTHON_VERSION}"
    assert ARCHITECTURE.name == "arm64"
    assert layer_build.PLATFORM.endswith("aarch64")


def test_an_unchanged_dependency_list_is_not_rebuilt(tmp_path: Path, pyproject: Path) -> None:
    pip = FakePip()
    target = tmp_path / "deps-layer"

    assert layer_build.build(target, pyproject=pyproject, runner=pip) is True
    assert layer_build.build(target, pyproject=pyproject, runner=pip) is False
    assert len(pip.commands) == 1
    assert (target / "python" / "fastapi").is_dir()
    assert not (target / layer_build.stamp_path(target).name).exists()


def test_a_changed_dependency_list_rebuilds_from_scratch(tmp_path: Path, pyproject: Path) -> None:
    pip = FakePip()
    target = tmp_path / "deps-layer"
    layer_build.build(target, pyproject=pyproject, runner=pip)
    (target / "python" / "stale.py").write_text("")

    pyproject.write_text(PYPROJECT.replace("2.13.4", "2.13.5"))

    assert layer_build.build(target, pyproject=pyproject, runner=pip) is True
    assert len(pip.commands) == 2
    assert pip.commands[-1][-1] == "pydantic==2.13.5"
    assert not (target / "python" / "stale.py").exists()


def test_an_interrupted_build_is_rebuilt_next_time(tmp_path: Path, pyproject: Path) -> None:
    target = tmp_path / "deps-layer"
    with pytest.raises(subprocess.CalledProcessError):
        layer_build.build(target, pyproject=pyproject, runner=FakePip(fail=True))

    pip = FakePip()

    assert layer_build.build(target, pyproject=pyproject, runner=pip) is True
    assert len(pip.commands) == 1


def test_force_rebuilds_an_up_to_date_layer(tmp_path: Path, pyproject: Path) -> None:
    pip = FakePip()
    target = tmp_path / "deps-layer"
    layer_build.build(target, pyproject=pyproject, runner=pip)

    assert layer_build.build(target, pyproject=pyproject, runner=pip, force=True) is True
    assert len(pip.commands) == 2
