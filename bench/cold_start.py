"""Cold start of every function, beside the floor of its framework, measured in fresh processes.

Run: `.venv/bin/python bench/cold_start.py [--n 7] [--only scans_create ...]`. Prints a table and
records the figures in `bench/results/cold_start.json`. Takes about 4 minutes a round on a loaded
2-core machine; run it when `uptime` is low, the load is recorded beside the figures.

The interpreter holds exactly the layer's packages (`requirements/runtime.lock`, installed by uv into
`.local/bench/runtime-venv`, byte-compiled), not the dev `.venv`: X-Ray's patch_all imports every
library it can patch (httpx, requests, ... in the dev environment), which Lambda would not.

What one sample is: a fresh interpreter with a Lambda-like environment (`LAMBDA_TASK_ROOT` set, so
Powertools' Tracer is on and patches botocore as it does in Lambda; fake credentials, so creating a
client never looks for a metadata service) that loads `functions/<name>/handler.py` by path, as the
runtime does, and then creates the boto3 clients the function's grants say it calls (tables ->
dynamodb, secrets -> secretsmanager, keys -> kms, bus -> events, queues -> sqs, buckets -> s3) through
`earnloop.platform.aws`. Our functions create clients lazily on their first request (snapshot
safety), the floors create their one client at import: both are what a cold start pays before its
first AWS call, so that is the figure compared. `import_ms` is the handler import alone.

The floors (`bench/floors/`): `http_floor.py` (FastAPI + Mangum + Powertools Logger/Metrics/Tracer +
one boto3 client + a pydantic model) for HTTP functions; `worker_floor.py` (Powertools batch +
Logger/Metrics/Tracer + one boto3 client) for queue workers and, as the nearest fit, for the stream
publisher and schedules (event-source functions without FastAPI); those are also set beside
`worker_parser_floor.py` (the same plus Powertools' parser and a pydantic model), since our design
validates every boundary with pydantic.

Wall time is from spawning the process to its report (interpreter start included, for both);
CPU is the child's user+system time at that point; RSS is its peak (`ru_maxrss`). Runs are
interleaved (function, its floors, next function, its floors, ..., who goes first rotating by
round) so that a noisy machine slows both sides alike; each ratio divides the function's median by
the median of the floor samples taken beside it. Then `python -X importtime` of the heaviest
function names its largest import costs, and that function and its floor are measured once more
without usable .pyc files (as in Lambda when a layer ships none). Not a test: nothing here asserts
a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {
    "http": ROOT / "bench" / "floors" / "http_floor.py",
    "worker": ROOT / "bench" / "floors" / "worker_floor.py",
    "worker_parser": ROOT / "bench" / "floors" / "worker_parser_floor.py",
}
RESULTS = ROOT / "bench" / "results" / "cold_start.json"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
LIBRARY = ROOT / "layers" / "earnloop" / "python"
# The layer's packages and nothing else: the dev .venv also holds httpx, requests, moto..., and
# X-Ray's patch_all imports every library it can patch, which would slow function and floor alike.
RUNTIME_VENV = ROOT / ".local" / "bench" / "runtime-venv"
# Optional layers (catalog `FunctionSpec.layers`): each lock installed into a folder of its own that
# only the functions declaring the layer get on their path, as Lambda adds a layer's `python/`.
LAYER_LOCKS = {"imaging": ROOT / "requirements" / "imaging.lock"}
LAYER_SITES = ROOT / ".local" / "bench" / "layers"
TARGET_RATIO = 1.10
SERVICE_OF_GRANT = {
    "table": "dynamodb",
    "secret": "secretsmanager",
    "bus": "events",
    "queue": "sqs",
    "key": "kms",
    "bucket": "s3",
}

# Runs in the child. argv: mode ("function" | "floor"), path, comma-separated services.
_PROBE = r"""
import importlib.util, json, resource, sys, time
start = time.perf_counter()
mode, path, services = sys.argv[1], sys.argv[2], sys.argv[3]
spec = importlib.util.spec_from_file_location("handler", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
imported = time.perf_counter()
if services:
    from earnloop.platform import aws
    for service in services.split(","):
        aws.client(service)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "import_ms": (imported - start) * 1000,
    "clients_ms": (time.perf_counter() - imported) * 1000,
    "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
    "rss_mb": usage.ru_maxrss / 1024,
}), flush=True)
"""


def runtime_python() -> Path:
    """A Python holding exactly the layer's locked packages (`requirements/runtime.lock`), built once
    with uv from the dev environment and rebuilt when the lock changes; byte-compiled, as a layer
    that ships .pyc files would be. The library comes from the source tree via PYTHONPATH."""
    python = RUNTIME_VENV / "bin" / "python"
    stamp = RUNTIME_VENV / "lock.sha256"
    digest = hashlib.sha256(RUNTIME_LOCK.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [str(uv), "venv", "-q", "--clear", "--python", sys.executable, str(RUNTIME_VENV)], check=True
    )
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "-q",
            "--require-hashes",
            "--python",
            str(python),
            "-r",
            str(RUNTIME_LOCK),
        ],
        check=True,
    )
    subprocess.run(
        [str(python), "-m", "compileall", "-q", str(RUNTIME_VENV / "lib"), str(LIBRARY)], check=False
    )
    stamp.write_text(digest)
    return python


def layer_site(name: str, python: Path) -> Path:
    """The packages of the optional layer `name` (its lock), for `python`, rebuilt when the lock
    changes; byte-compiled like the runtime venv."""
    lock = LAYER_LOCKS[name]
    site = LAYER_SITES / name
    stamp = LAYER_SITES / f"{name}.sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if site.is_dir() and stamp.exists() and stamp.read_text() == digest:
        return site
    shutil.rmtree(site, ignore_errors=True)
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "-q",
            "--require-hashes",
            "--no-deps",
            "--python",
            str(python),
            "--target",
            str(site),
            "-r",
            str(lock),
        ],
        check=True,
    )
    subprocess.run([str(python), "-m", "compileall", "-q", str(site)], check=False)
    stamp.write_text(digest)
    return site


def lambda_environment(name: str, task_root: Path, sites: tuple[Path, ...] = ()) -> dict[str, str]:
    """What the Lambda runtime sets that changes how our code initialises; nothing from this shell.
    `sites`: the folders of the optional layers the function carries."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.14",
        "_HANDLER": "handler.lambda_handler",
        "AWS_REGION": "ap-east-1",
        "AWS_DEFAULT_REGION": "ap-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "earnloop",
        "EARNLOOP_STAGE": "bench",
        "PYTHONPATH": os.pathsep.join(str(path) for path in (LIBRARY, *sites)),
    }


@dataclass(frozen=True)
class Interpreter:
    python: Path
    env: dict[str, str] = field(default_factory=dict)


def without_bytecode(python: Path, empty: Path) -> Interpreter:
    """Every module compiled from source at import, as in Lambda when a layer ships no .pyc for the
    runtime's Python (the read-only /opt cannot keep the ones compiled at a cold start)."""
    return Interpreter(python, {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty)})


@dataclass
class Target:
    name: str
    kind: str  # function kind: http | queue | stream | schedule; "floor" for floors
    path: Path
    services: tuple[str, ...] = ()
    samples: list[dict[str, float]] = field(default_factory=list)
    # Folders of the optional layers it carries (the imaging layer of the media worker).
    sites: tuple[Path, ...] = ()


def floors_for(kind: str) -> tuple[str, ...]:
    """The floor the issue names first; event-driven functions are also set beside the floor with
    Powertools' parser (pydantic), which our design requires at every boundary."""
    return ("http",) if kind == "http" else ("worker", "worker_parser")


def services_of(spec: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(SERVICE_OF_GRANT[grant.kind] for grant in spec.grants))


def sample(target: Target, interpreter: Interpreter) -> dict[str, float]:
    env = lambda_environment(target.name, target.path.parent, target.sites) | interpreter.env
    mode = "floor" if target.kind == "floor" else "function"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(interpreter.python), "-c", _PROBE, mode, str(target.path), ",".join(target.services)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(target.path.parent),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    wall_ms = (time.perf_counter() - started) * 1000
    _, stderr = process.communicate(timeout=120)
    if process.returncode != 0 or not line:
        raise RuntimeError(f"{target.name} failed to initialise:\n{stderr}")
    return {"wall_ms": wall_ms, **json.loads(line)}


def median(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


Beside = dict[str, dict[str, list[dict[str, float]]]]


def run(functions: list[Target], floors: dict[str, Target], n: int, interpreter: Interpreter) -> Beside:
    """Interleaved rounds; returns, per function and floor, the floor samples taken beside it."""
    beside: Beside = {f.name: {kind: [] for kind in floors_for(f.kind)} for f in functions}
    for round_ in range(n):
        for target in functions:
            group = [target, *(floors[kind] for kind in floors_for(target.kind))]
            # Rotate who goes first, so no side always runs right after another process's exit.
            shift = round_ % len(group)
            for one in group[shift:] + group[:shift]:
                measured = sample(one, interpreter)
                one.samples.append(measured)
                if one is not target:
                    beside[target.name][one.name.removesuffix("_floor")].append(measured)
        print(f"round {round_ + 1}/{n} done", file=sys.stderr, flush=True)
    return beside


def importtime(target: Target, interpreter: Interpreter) -> list[dict[str, Any]]:
    """`python -X importtime` of one target's init: the largest import costs, ours or third-party."""
    env = lambda_environment(target.name, target.path.parent, target.sites) | interpreter.env
    result = subprocess.run(
        [str(interpreter.python), "-X", "importtime", "-c", _PROBE, "function", str(target.path), ""],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(target.path.parent),
        timeout=120,
        check=True,
    )
    return largest_imports(result.stderr)


@dataclass
class _Node:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list[_Node] = field(default_factory=list)


def _tree(stderr: str) -> list[_Node]:
    """importtime prints a module when its import ends, indented by depth: rebuild the tree."""
    pending: list[_Node] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, cumulative_us, label = line[len("import time:") :].split("|", 2)
        depth = (len(label) - len(label.lstrip(" ")) - 1) // 2
        node = _Node(label.strip(), int(self_us), int(cumulative_us), depth)
        # The modules printed just before, one level deeper, were imported by this one.
        while pending and pending[-1].depth > depth:
            node.children.insert(0, pending.pop())
        pending.append(node)
    return pending


def _package(name: str) -> str:
    return name.split(".", 1)[0]


def _heaviest_packages(node: _Node, top: int = 3) -> dict[str, float]:
    """Self time summed by top-level package over a subtree: where an import site's time went."""
    totals: dict[str, int] = {}
    todo = [node]
    while todo:
        current = todo.pop()
        totals[_package(current.name)] = totals.get(_package(current.name), 0) + current.self_us
        todo.extend(current.children)
    heaviest = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return {package: round(us / 1000, 1) for package, us in heaviest}


def largest_imports(stderr: str, top: int = 8) -> list[dict[str, Any]]:
    """The largest import costs: a third-party package where our code (or another package) first pulls
    it in, by cumulative time (self + children), and our own modules by self time (their bodies:
    model building, decorators, module-level objects). Standard-library modules are left out, and a
    site inside one already listed is not counted again."""
    stdlib = set(sys.stdlib_module_names)
    sites: list[tuple[int, str, str, _Node]] = []

    def visit(node: _Node, parent_package: str | None) -> None:
        package = _package(node.name)
        if package == "earnloop":
            sites.append((node.self_us, node.name, "ours (self)", node))
        elif package not in stdlib and package != parent_package:
            sites.append((node.cumulative_us, node.name, "third-party (cumulative)", node))
        for child in node.children:
            visit(child, package)

    roots = _tree(stderr)
    for root in roots:
        visit(root, None)
    chosen: list[dict[str, Any]] = []
    taken: list[_Node] = []

    def inside(node: _Node, outer: _Node) -> bool:
        return any(child is node or inside(node, child) for child in outer.children)

    for cost, name, what, node in sorted(sites, key=lambda s: -s[0]):
        if what.startswith("third") and any(inside(node, t) or inside(t, node) for t in taken):
            continue
        # A third-party site is named by its package and the module through which it came in, with
        # the packages whose own code took most of its time (botocore may come in through X-Ray).
        label = name if what.startswith("ours") else f"{_package(name)} (first as {name})"
        entry: dict[str, Any] = {"module": label, "ms": round(cost / 1000, 1), "kind": what}
        if not what.startswith("ours"):
            entry["mostly"] = _heaviest_packages(node)
        chosen.append(entry)
        taken.append(node)
        if len(chosen) == top:
            break
    return chosen


def no_bytecode(function: Target, floor: Target, python: Path, n: int = 3) -> dict[str, Any]:
    """The heaviest function and its floor with every module compiled at import (no usable .pyc)."""
    with tempfile.TemporaryDirectory() as empty:
        interpreter = without_bytecode(python, Path(empty))
        pair = [
            Target(function.name, function.kind, function.path, function.services, sites=function.sites),
            Target(floor.name, "floor", floor.path),
        ]
        for _ in range(n):
            for one in pair:
                one.samples.append(sample(one, interpreter))
    return {
        one.name: {
            "wall_ms": round(median(one.samples, "wall_ms"), 1),
            "cpu_ms": round(median(one.samples, "cpu_ms"), 1),
            "n": n,
        }
        for one in pair
    }


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=7, help="fresh processes per function (and per floor pairing)"
    )
    parser.add_argument("--only", nargs="*", help="function names (default: every function)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-importtime", action="store_true", help="skip -X importtime and the no-.pyc run")
    parser.add_argument(
        "--python", type=Path, help="interpreter to measure with (default: the runtime lock's)"
    )
    args = parser.parse_args()

    from earnloop.contexts import all_functions

    specs = [s for s in all_functions() if not args.only or s.name in args.only]
    interpreter = Interpreter(args.python or runtime_python())
    functions = [
        Target(
            s.name,
            s.kind,
            ROOT / "functions" / s.name / "handler.py",
            services_of(s),
            sites=tuple(layer_site(layer, interpreter.python) for layer in s.layers),
        )
        for s in specs
    ]
    floors = {kind: Target(f"{kind}_floor", "floor", path) for kind, path in FLOORS.items()}
    load_before = os.getloadavg()
    started = time.perf_counter()
    beside = run(functions, floors, args.n, interpreter)
    load_after = os.getloadavg()

    rows = []
    for target in functions:
        wall, cpu = median(target.samples, "wall_ms"), median(target.samples, "cpu_ms")
        row: dict[str, Any] = {
            "function": target.name,
            "kind": target.kind,
            "clients": list(target.services),
            "layers": [site.name for site in target.sites],
            "wall_ms": round(wall, 1),
            "cpu_ms": round(cpu, 1),
            "import_ms": round(median(target.samples, "import_ms"), 1),
            "clients_ms": round(median(target.samples, "clients_ms"), 1),
            "peak_rss_mb": round(max(s["rss_mb"] for s in target.samples), 1),
        }
        for position, (kind, floor_samples) in enumerate(beside[target.name].items()):
            floor_wall, floor_cpu = median(floor_samples, "wall_ms"), median(floor_samples, "cpu_ms")
            figures = {
                "floor": f"{kind}_floor",
                "floor_wall_ms": round(floor_wall, 1),
                "floor_cpu_ms": round(floor_cpu, 1),
                "floor_peak_rss_mb": round(max(s["rss_mb"] for s in floor_samples), 1),
                "ratio_wall": round(wall / floor_wall, 3),
                "ratio_cpu": round(cpu / floor_cpu, 3),
            }
            if position == 0:
                row |= figures
            else:
                row["beside_" + kind] = figures
        rows.append(row)
    floors_summary = {
        f.name: {
            "wall_ms": round(median(f.samples, "wall_ms"), 1),
            "cpu_ms": round(median(f.samples, "cpu_ms"), 1),
            "peak_rss_mb": round(max(s["rss_mb"] for s in f.samples), 1),
            "samples": len(f.samples),
        }
        for f in floors.values()
        if f.samples
    }
    heaviest = max(functions, key=lambda t: median(t.samples, "cpu_ms"))
    imports: list[dict[str, Any]] = []
    compiled: dict[str, Any] = {}
    if not args.no_importtime:
        imports = importtime(heaviest, interpreter)
        compiled = no_bytecode(heaviest, floors[floors_for(heaviest.kind)[0]], interpreter.python)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "n": args.n,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "duration_s": round(time.perf_counter() - started, 1),
        "method": (
            "fresh process per sample, Lambda-like environment (tracer on), handler loaded by path, "
            "then the boto3 clients of its grants; floors in bench/floors; interleaved rounds; "
            "ratio = function median / median of the floor samples taken beside it"
        ),
        "target_ratio": TARGET_RATIO,
        "floors": floors_summary,
        "functions": rows,
        "importtime": {"function": heaviest.name, "largest": imports[:3], "next": imports[3:]},
        "without_bytecode": compiled,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)


def _parser_ratios(row: dict[str, Any]) -> str:
    beside = row.get("beside_worker_parser")
    return f"  ({beside['ratio_wall']:.3f} / {beside['ratio_cpu']:.3f})" if beside else ""


def print_table(result: dict[str, Any]) -> None:
    print(
        f"n={result['n']}  load {result['load_average_before']} -> {result['load_average_after']}  "
        f"{result['machine']['cores']} cores, Python {result['machine']['python']}"
    )
    for name, floor in result["floors"].items():
        print(
            f"{name:22} wall {floor['wall_ms']:7.0f} ms  cpu {floor['cpu_ms']:7.0f} ms  "
            f"rss {floor['peak_rss_mb']:5.1f} MB"
        )
    header = (
        f"{'function':22} {'kind':8} {'wall ms':>8} {'cpu ms':>8} {'import':>7} {'clients':>7} "
        f"{'rss MB':>7} {'x wall':>7} {'x cpu':>6}  (beside worker_parser_floor)"
    )
    print(header)
    for row in result["functions"]:
        flag = "" if max(row["ratio_wall"], row["ratio_cpu"]) <= result["target_ratio"] else "  above target"
        print(
            f"{row['function']:22} {row['kind']:8} {row['wall_ms']:8.0f} {row['cpu_ms']:8.0f} "
            f"{row['import_ms']:7.0f} {row['clients_ms']:7.0f} {row['peak_rss_mb']:7.1f} "
            f"{row['ratio_wall']:7.3f} {row['ratio_cpu']:6.3f}{flag}{_parser_ratios(row)}"
        )
    imports = result["importtime"]
    if imports["largest"]:
        print(f"largest import costs of {imports['function']} (then the next ones):")
        for entry in imports["largest"] + imports["next"]:
            mostly = ", ".join(f"{k} {v:.0f}" for k, v in entry.get("mostly", {}).items())
            print(f"  {entry['module']:55} {entry['ms']:7.1f} ms  {entry['kind']}  {mostly}")
    for name, figures in result["without_bytecode"].items():
        print(f"without .pyc: {name:22} wall {figures['wall_ms']:7.0f} ms  cpu {figures['cpu_ms']:7.0f} ms")


if __name__ == "__main__":
    main()
