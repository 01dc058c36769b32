"""Builds the dependency layer: `python -m infra.layer_build` (`make layer`).

Installs `[project].dependencies` of `pyproject.toml` as Linux wheels for the Lambda runtime's
Python and architecture into `build/deps-layer/python`, without Docker: pip picks binary wheels
for the target platform (`--only-binary=:all:`), so a macOS or x86_64 machine builds an arm64
layer. The build is skipped while the dependency list, Python version and platform are unchanged.

This module imports nothing from CDK: it runs before a synth, and the CDK app reads its constants.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
DEFAULT_TARGET = ROOT / "build" / "deps-layer"

# The Lambda runtime every function runs on; the CDK app takes its runtime from here, so the
# wheels and the runtime cannot drift apart.
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"

log = logging.getLogger("earnloop.layer_build")

Runner = Callable[..., Any]


def requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The runtime dependencies, exactly as pinned in `[project].dependencies`."""
    with pyproject.open("rb") as handle:
        project = tomllib.load(handle)["project"]
    return [str(requirement) for requirement in project.get("dependencies", [])]


def fingerprint(reqs: Sequence[str]) -> str:
    """Changes when anything that decides the layer's content changes."""
    material = {"requirements": sorted(reqs), "python": PYTHON_VERSION, "platform": PLATFORM}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def pip_command(reqs: Sequence[str], site_packages: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        # .pyc files compiled by the build machine's Python are useless to the runtime's.
        "--no-compile",
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(site_packages),
        *reqs,
    ]


def stamp_path(target: Path) -> Path:
    # Beside the layer folder, not in it: everything inside is zipped into the layer.
    return target.parent / f"{target.name}.sha256"


def build(
    target: Path = DEFAULT_TARGET,
    *,
    pyproject: Path = PYPROJECT,
    force: bool = False,
    runner: Runner = subprocess.run,
) -> bool:
    """Builds the layer into `target/python`; returns False when it was already up to date."""
    reqs = requirements(pyproject)
    wanted = fingerprint(reqs)
    stamp = stamp_path(target)
    site_packages = target / "python"
    if not force and site_packages.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted:
        log.info("dependency layer up to date", extra={"target": str(target)})
        return False
    shutil.rmtree(target, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    site_packages.mkdir(parents=True)
    log.info("building dependency layer", extra={"target": str(target), "requirements": len(reqs)})
    runner(pip_command(reqs, site_packages), check=True)
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
    built = build(args.target, force=args.force)
    log.info("dependency layer built" if built else "dependency layer unchanged, skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
