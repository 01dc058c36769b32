"""The imaging layer's lock and build: its own requirements, hashed, glibc 2.28 arm64 wheels, and
the media worker's code and layers within Lambda's unzipped size limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import layer_build

pytestmark = pytest.mark.infra

# Lambda: a function's code and all its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def test_the_imaging_lock_pins_its_requirements_with_hashes_and_the_dev_lock_runs_the_same() -> None:
    wanted = layer_build.required(layer_build.IMAGING_REQUIREMENTS)
    imaging = layer_build.pins(layer_build.IMAGING_LOCK)
    dev = layer_build.pins(layer_build.DEV_LOCK)

    assert set(wanted) == {"pillow", "pillow-heif", "mutagen", "av"}
    layer_build.check_lock(layer_build.IMAGING_LOCK, requirements=layer_build.IMAGING_REQUIREMENTS)
    assert {name: imaging.get(name) for name in wanted} == wanted
    assert {name: dev.get(name) for name in imaging} == imaging
    assert "--hash=sha256:" in layer_build.IMAGING_LOCK.read_text()
    # Nothing the dependency layer already ships is shipped twice.
    assert not set(imaging) & set(layer_build.pins(layer_build.RUNTIME_LOCK))


def test_a_requirement_missing_from_the_imaging_lock_stops_its_build(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.in"
    requirements.write_text("pillow==13.0.0  # the imaging layer\nnumpy==2.3.0\n")
    commands: list[list[str]] = []

    with pytest.raises(layer_build.StaleLockError, match="make lock"):
        layer_build.build(
            tmp_path / "imaging-layer",
            lock=layer_build.IMAGING_LOCK,
            requirements=requirements,
            platform=layer_build.IMAGING_PLATFORM,
            runner=lambda command, check: commands.append(command),
        )
    assert commands == []


def test_the_imaging_layer_takes_glibc_2_28_arm64_wheels_for_the_lambda_python(tmp_path: Path) -> None:
    command = layer_build.pip_command(
        layer_build.IMAGING_LOCK, tmp_path / "python", layer_build.IMAGING_PLATFORM
    )

    assert command[command.index("--platform") + 1] == "manylinux_2_28_aarch64"
    assert command[command.index("--python-version") + 1] == layer_build.PYTHON_VERSION
    assert "--require-hashes" in command and "--only-binary=:all:" in command
    assert layer_build.LAYER_TARGETS == {"imaging": layer_build.IMAGING_TARGET}


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_the_media_worker_with_both_built_layers_fits_lambdas_unzipped_limit() -> None:
    built = [layer_build.DEFAULT_TARGET / "python", layer_build.IMAGING_TARGET / "python"]
    if not all(folder.is_dir() for folder in built):
        pytest.skip("run `make layer` to measure the built layers")
    library = layer_build.ROOT / "layers" / "earnloop" / "python"
    code = layer_build.ROOT / "functions" / "media_process"

    total = sum(_size(folder) for folder in (*built, library, code))

    # Room left for the dependencies to grow (docs/decisions.md: the imaging layer).
    assert total < LAMBDA_UNZIPPED_LIMIT * 0.85, f"{total / 2**20:.0f} MiB"
