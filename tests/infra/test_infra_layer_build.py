"""The locks and the dependency layer build: hashed Linux arm64 wheels for the runtime's Python, rebuilt
only on change."""

from __future__ import annotations

import re
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

LOCK = """\
fastapi==0.165.0 \\
    --hash=sha256:aaaa
pydantic==2.13.4 \\
    --hash=sha256:bbbb
starlette==1.10.0 \\
    --hash=sha256:cccc
    # via fastapi
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


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "runtime.lock"
    path.write_text(LOCK)
    return path


def _hashed_pins(lock: Path) -> dict[str, int]:
    """Package -> number of `--hash` lines under its pin."""
    counts: dict[str, int] = {}
    current = ""
    for line in lock.read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
        if pinned:
            current = layer_build.canonical(pinned.group(1))
            counts[current] = 0
        elif line.strip().startswith("--hash=sha256:") and current:
            counts[current] += 1
    return counts


def test_the_committed_runtime_lock_pins_every_runtime_dependency_of_pyproject() -> None:
    declared = layer_build.declared()
    locked = layer_build.pins(layer_build.RUNTIME_LOCK)

    assert declared["fastapi"] == locked["fastapi"]
    assert {name: locked.get(name) for name in declared} == declared
    layer_build.check_lock()


def test_the_runtime_lock_holds_transitive_packages_each_with_hashes() -> None:
    hashed = _hashed_pins(layer_build.RUNTIME_LOCK)

    # Not declared in pyproject, reached through fastapi, pydantic and boto3.
    assert {"starlette", "pydantic-core", "botocore", "s3transfer"} <= set(hashed)
    assert all(count >= 1 for count in hashed.values()), hashed


def test_the_dev_lock_runs_the_same_versions_as_the_layer_plus_dev_and_infra_tools() -> None:
    runtime = layer_build.pins(layer_build.RUNTIME_LOCK)
    dev = layer_build.pins(layer_build.DEV_LOCK)
    hashed = _hashed_pins(layer_build.DEV_LOCK)

    tools = layer_build.declared(extras=("dev", "infra"))

    assert {name: dev.get(name) for name in runtime} == runtime
    assert {name: dev.get(name) for name in tools} == tools
    assert {"aws-cdk-lib", "moto", "pytest", "uv", "setuptools"} <= set(dev)
    assert all(count >= 1 for count in hashed.values()), hashed


def test_a_lock_that_misses_a_new_dependency_stops_the_build(tmp_path: Path, lock: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PYPROJECT.replace('2.13.4"]', '2.13.4", "cryptography==46.0.3"]'))
    pip = FakePip()

    with pytest.raises(layer_build.StaleLockError, match="make lock"):
        layer_build.build(tmp_path / "deps-layer", lock=lock, pyproject=pyproject, runner=pip)
    assert pip.commands == []


def test_pip_fetches_only_linux_arm64_wheels_for_the_lambda_python(tmp_path: Path) -> None:
    command = layer_build.pip_command(tmp_path / "runtime.lock", tmp_path / "python")

    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("--python-version") + 1] == layer_build.PYTHON_VERSION
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == str(tmp_path / "python")
    assert "--require-hashes" in command
    assert command[-2:] == ["-r", str(tmp_path / "runtime.lock")]


def test_the_layer_build_and_the_functions_agree_on_runtime_and_architecture() -> None:
    assert RUNTIME.name == f"python{layer_build.PYTHON_VERSION}"
    assert ARCHITECTURE.name == "arm64"
    assert layer_build.PLATFORM.endswith("aarch64")


def test_an_unchanged_dependency_list_is_not_rebuilt(tmp_path: Path, pyproject: Path, lock: Path) -> None:
    pip = FakePip()
    target = tmp_path / "deps-layer"

    assert layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip) is True
    assert layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip) is False
    assert len(pip.commands) == 1
    assert (target / "python" / "fastapi").is_dir()
    assert not (target / layer_build.stamp_path(target).name).exists()


def test_a_changed_lock_rebuilds_from_scratch(tmp_path: Path, pyproject: Path, lock: Path) -> None:
    pip = FakePip()
    target = tmp_path / "deps-layer"
    layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip)
    (target / "python" / "stale.py").write_text("")

    lock.write_text(LOCK.replace("starlette==1.10.0", "starlette==1.10.1"))

    assert layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip) is True
    assert len(pip.commands) == 2
    assert not (target / "python" / "stale.py").exists()


def test_an_interrupted_build_is_rebuilt_next_time(tmp_path: Path, pyproject: Path, lock: Path) -> None:
    target = tmp_path / "deps-layer"
    with pytest.raises(subprocess.CalledProcessError):
        layer_build.build(target, lock=lock, pyproject=pyproject, runner=FakePip(fail=True))

    pip = FakePip()

    assert layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip) is True
    assert len(pip.commands) == 1


def test_force_rebuilds_an_up_to_date_layer(tmp_path: Path, pyproject: Path, lock: Path) -> None:
    pip = FakePip()
    target = tmp_path / "deps-layer"
    layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip)

    assert layer_build.build(target, lock=lock, pyproject=pyproject, runner=pip, force=True) is True
    assert len(pip.commands) == 2


def test_cdk_synth_on_a_fresh_checkout_builds_the_layer_from_the_lock_first() -> None:
    import json

    app = json.loads((layer_build.ROOT / "cdk.json").read_text())["app"]
    makefile = (layer_build.ROOT / "Makefile").read_text()

    build, _, synth = app.partition(" && ")
    assert build.startswith("make ") and build.endswith(" layer")
    assert synth.endswith("-m infra.app")
    assert re.search(r"^layer: .*\$\(RUNTIME_LOCK\)", makefile, re.MULTILINE)
    assert re.search(r"^\$\(STAMP\): .*\$\(DEV_LOCK\)", makefile, re.MULTILINE)
    assert "--require-hashes -r $(DEV_LOCK)" in makefile


def test_the_app_says_in_one_line_what_is_missing(tmp_path: Path, monkeypatch, capsys) -> None:
    from infra import app

    # `make synth` on a fresh checkout: cdk.json names the stage but no code domain.
    (tmp_path / "cdk.json").write_text((layer_build.ROOT / "cdk.json").read_text())
    monkeypatch.delenv("CDK_CONTEXT_JSON", raising=False)
    monkeypatch.delenv("CDK_OUTDIR", raising=False)

    assert app.cli_context(tmp_path)["stage"] == "dev"
    assert app.main(tmp_path) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "code_domain is required" in line
