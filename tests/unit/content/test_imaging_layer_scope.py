"""The imaging packages are the media worker's alone: no other handler imports them, so no other
function needs the imaging layer or pays for it at a cold start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from earnloop.contexts import all_functions

ROOT = Path(__file__).resolve().parents[3]
IMAGING = ("PIL", "pillow_heif", "av", "mutagen")

# Loads handlers by path, as the Lambda runtime does, then lists the imaging packages loaded.
_PROBE = r"""
import importlib.util, json, sys
for index, path in enumerate(sys.argv[2:]):
    spec = importlib.util.spec_from_file_location(f"handler_{index}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.lambda_handler), path
imaging = set(sys.argv[1].split(","))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & imaging)))
"""


def _imaging_loaded_by(names: list[str]) -> list[str]:
    paths = [str(ROOT / "functions" / name / "handler.py") for name in names]
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(IMAGING), *paths],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "layers" / "earnloop" / "python")},
        cwd=str(ROOT),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_no_function_without_the_imaging_layer_imports_an_imaging_package() -> None:
    others = [spec.name for spec in all_functions() if "imaging" not in spec.layers]

    assert len(others) > 40
    assert _imaging_loaded_by(others) == []


def test_the_media_worker_does_import_them_so_the_probe_would_see_a_leak() -> None:
    (worker,) = [spec.name for spec in all_functions() if "imaging" in spec.layers]

    assert set(_imaging_loaded_by([worker])) >= {"PIL", "pillow_heif", "av", "mutagen"}
