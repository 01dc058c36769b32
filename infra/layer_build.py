"""Builds the dependency layers: `python -m infra.layer_build` (`make layer`).

Installs `requirements/runtime.lock` (every runtime package, transitive ones included, pinned with
their hashes; `make lock` writes it from `[project].dependencies` of `pyproject.toml`) as Linux
wheels for the Lambda runtime's Python and architecture into `build/deps-layer/python`, without
Docker: pip picks binary wheels for the target platform (`--only-binary=:all:`) and refuses any
file whose hash is not in the lock (`--require-hashes`), so a macOS or x86_64 machine builds the
same arm64 layer, byte for byte. The build is skipped while the lock, Python version and platform
are unchanged.

The imaging layer (`layers/imaging/requirements.in`, locked in `requirements/imaging.lock`) is built
the same way into `build/imaging-layer/python`; only the functions that declare it carry it.

This module imports nothing from CDK: it runs before a synth, and the CDK app reads its constants.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"
DEFAULT_TARGET = ROOT / "build" / "deps-layer"

# The Lambda runtime every function runs on; the CDK app takes its runtime from here, so the
# wheels and the runtime cannot drift apart. `make lock` resolves the runtime lock for them too.
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"

IMAGING_REQUIREMENTS = ROOT / "layers" / "imaging" / "requirements.in"
IMAGING_LOCK = ROOT / "requirements" / "imaging.lock"
IMAGING_TARGET = ROOT / "build" / "imaging-layer"
# Pillow 13, pillow-heif and PyAV publish arm64 wheels for glibc 2.28 and later only; Lambda's
# Python 3.14 runtime runs on Amazon Linux 2023 (glibc 2.34).
IMAGING_PLATFORM = "manylinux_2_28_aarch64"
# Optional layers by the name a `FunctionSpec` gives in `layers`: its folder (holding `python/`).
LAYER_TARGETS: dict[str, Path] = {"imaging": IMAGING_TARGET}

log = logging.getLogger("earnloop.layer_build")

Runner = Callable[..., Any]

# `name==version` at the start of a lock line (uv and pip-compile both write this form).
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)
_DECLARED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)$")


class StaleLockError(RuntimeError):
    """The lock does not pin what `pyproject.toml` pins: `make lock` must be run."""


def canonical(name: str) -> str:
    """PEP 503 name: `PyJWT` and `pyjwt`, `python_ulid` and `python-ulid` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    """Package -> version of every `name==version` line of a lock file."""
    return {canonical(name): version for name, version in _PIN.findall(lock.read_text())}


def declared(pyproject: Path = PYPROJECT, extras: Sequence[str] = ()) -> dict[str, str]:
    """Package -> version of every exactly pinned requirement of `[project]` (and the extras named)."""
    with pyproject.open("rb") as handle:
        project = tomllib.load(handle)["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    found: dict[str, str] = {}
    for requirement in requirements:
        match = _DECLARED.match(requirement.strip())
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def required(requirements: Path) -> dict[str, str]:
    """Package -> version of every exactly pinned line of a requirements file (`layers/imaging`)."""
    found: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        match = _DECLARED.match(line.split("#", 1)[0].strip())
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def check_lock(
    lock: Path = RUNTIME_LOCK, pyproject: Path = PYPROJECT, *, requirements: Path | None = None
) -> None:
    """Raises `StaleLockError` unless the lock pins every dependency at its declared version: those
    of `requirements` when given, else the runtime dependencies of `pyproject`."""
    if not lock.is_file():
        raise StaleLockError(f"{lock} is missing: run `make lock`")
    locked = pins(lock)
    wanted = required(requirements) if requirements is not None else declared(pyproject)
    wrong = {
        name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version
    }
    if wrong:
        raise StaleLockError(f"{lock.name} disagrees with pyproject.toml {wrong}: run `make lock`")


def fingerprint(lock_text: str, platform: str = PLATFORM) -> str:
    """Changes when anything that decides the layer's content changes."""
    material = {"lock": lock_text, "python": PYTHON_VERSION, "platform": platform}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def pip_command(lock: Path, site_packages: Path, platform: str = PLATFORM) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        # .pyc files compiled by the build machine's Python are useless to the runtime's.
        "--no-compile",
        # Every file must match a hash of the lock; a package missing from it is an error.
        "--require-hashes",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(site_packages),
        "-r",
        str(lock),
    ]


def stamp_path(target: Path) -> Path:
    # Beside the layer folder, not in it: everything inside is zipped into the layer.
    return target.parent / f"{target.name}.sha256"


def build(
    target: Path = DEFAULT_TARGET,
    *,
    lock: Path = RUNTIME_LOCK,
    pyproject: Path = PYPROJECT,
    requirements: Path | None = None,
    platform: str = PLATFORM,
    force: bool = False,
    runner: Runner = subprocess.run,
) -> bool:
    """Builds the layer into `target/python`; returns False when it was already up to date.

    Raises `StaleLockError` when the lock no longer matches `pyproject.toml` (or `requirements`).
    """
    check_lock(lock, pyproject, requirements=requirements)
    wanted = fingerprint(lock.read_text(), platform)
    stamp = stamp_path(target)
    site_packages = target / "python"
    if not force and site_packages.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted:
        log.info("dependency layer up to date", extra={"target": str(target)})
        return False
    shutil.rmtree(target, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    site_packages.mkdir(parents=True)
    log.info("building dependency layer", extra={"target": str(target), "lock": str(lock)})
    runner(pip_command(lock, site_packages, platform), check=True)
    # Console scripts point at the build machine's interpreter; nothing on Lambda runs them.
    shutil.rmtree(site_packages / "bin", ignore_errors=True)
    # Written last: an interrupted build is rebuilt next time.
    stamp.write_text(wanted + "\n")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target", type=Path, default=DEFAULT_TARGET, help="layer folder (default: %(default)s)"
    )
    parser.add_argument(
        "--force", action="store_true", help="rebuild even when the dependencies are unchanged"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        built = build(args.target, force=args.force)
        imaging = build(
            IMAGING_TARGET,
            lock=IMAGING_LOCK,
            requirements=IMAGING_REQUIREMENTS,
            platform=IMAGING_PLATFORM,
            force=args.force,
        )
    except StaleLockError as error:
        log.error("%s", error)
        return 2
    log.info("dependency layer built" if built else "dependency layer unchanged, skipped")
    log.info("imaging layer built" if imaging else "imaging layer unchanged, skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
