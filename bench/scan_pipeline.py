"""Scan-to-credit pipeline on the local cloud (DynamoDB Local + moto): how fast scans are accepted,
how fast the pumps turn them into credited points, and how long the queues grow meanwhile.

Run: `.venv/bin/python bench/scan_pipeline.py [--buyers 20] [--scans 10]` (buyers x scans per buyer;
the recorded figures are 20x10, 100x10 and 500x10). Prints the figures and records them in
`bench/results/scan_pipeline.json` under the number of scans, beside the other sizes, so the
credit rate can be compared across sizes (it should stay flat). Figures are for this machine's
emulators, not AWS: they show regressions in our code path, not production capacity.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from earnloop.local.cloud import LocalCloud

RESULTS = Path(__file__).resolve().parent / "results" / "scan_pipeline.json"
# The figures before the pumps drained the queues between bounded stream steps (issue 5).
BEFORE = {
    "note": "pump_until_idle published a whole stream backlog (100 records a poll) before the queues drained",
    "credits_per_s_through_pumps": {"200": 13.7, "1000": 4.7},
    "queue_peak_messages": {"1000": 810},
}


class QueueWatch:
    """Samples the depth of every queue (visible + in flight) twice a second, keeping the peak, and
    how many messages the pumps had delivered by then (the rate over the run)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.urls = [q.url for q in cloud.queues.queues.values()]
        self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from earnloop.platform import aws

        sqs = aws.client("sqs")
        began = time.perf_counter()
        while not self._stop.wait(0.5):
            self.samples.append((time.perf_counter() - began, self.cloud.queues.delivered))
            depth = 0
            for url in self.urls:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                depth += sum(int(v) for v in attributes.values())
            self.peak = max(self.peak, depth)

    def halves(self) -> tuple[float, float]:
        """Messages delivered per second in the first and in the second half of the run."""
        if len(self.samples) < 4:
            return (0.0, 0.0)
        middle = len(self.samples) // 2
        (t0, n0), (t1, n1), (t2, n2) = self.samples[0], self.samples[middle], self.samples[-1]
        return (round((n1 - n0) / (t1 - t0), 1), round((n2 - n1) / (t2 - t1), 1))

    def __enter__(self) -> QueueWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(cloud: LocalCloud) -> float:
    """CPU time so far of this process (every thread) plus the DynamoDB Local JVM's."""
    jvm = 0.0
    pid = cloud.ddb.pid if cloud.ddb is not None else None
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        jvm = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time() + jvm


def run(buyers_count: int, scans_per_buyer: int) -> dict[str, Any]:
    from earnloop.contexts import routers
    from earnloop.local.cloud import LocalCloud
    from earnloop.platform.app import create_app
    from fastapi.testclient import TestClient

    total = buyers_count * scans_per_buyer
    with LocalCloud(
        dynamodb="dynamodb-local", environment={"EARNLOOP_SCANS_PER_HOUR": str(scans_per_buyer + 1)}
    ) as cloud:
        api = TestClient(create_app(routers()))
        admin = api.post("/v1/auth/login", json={"code": "dev:admin"}).json()["token"]
        admin_headers = {"Authorization": f"Bearer {admin}"}
        batch = api.post(
            "/v1/admin/code-batches",
            headers=admin_headers,
            json={
                "sku": "BENCH-1",
                "product_name": "Bench yogurt",
                "points": 10,
                "count": total,
                "tags": ["bench"],
            },
        ).json()
        export = api.get(f"/v1/admin/code-batches/{batch['batch_id']}/codes", headers=admin_headers).text
        codes = [row["code"] for row in csv.DictReader(io.StringIO(export))]
        buyers = []
        for n in range(buyers_count):
            login = api.post("/v1/auth/login", json={"code": f"dev:bench{n}"}).json()
            buyers.append({"Authorization": f"Bearer {login['token']}"})
        cloud.pump_until_idle()

        latencies: list[float] = []
        began = time.perf_counter()
        for index, code in enumerate(codes):
            started = time.perf_counter()
            response = api.post("/v1/scans", headers=buyers[index % buyers_count], json={"code": code})
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 202, response.text
        accept_s = time.perf_counter() - began

        with QueueWatch(cloud) as watch:
            began, cpu = time.perf_counter(), cpu_seconds(cloud)
            cloud.pump_until_idle(max_rounds=100_000)
            credit_s, credit_cpu_s = time.perf_counter() - began, cpu_seconds(cloud) - cpu

        balances = [api.get("/v1/points", headers=h).json()["balance"] for h in buyers]
        assert sum(balances) == total * 10, balances
        assert cloud.stream.failures == []

    latencies.sort()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "buyers": buyers_count,
        "scans_accepted_per_s": round(total / accept_s, 1),
        "scan_latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "scan_latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "credits_per_s_through_pumps": round(total / credit_s, 1),
        # CPU of this process (handlers, pumps, moto's threads) and of the DynamoDB Local JVM: what
        # the wall-clock rate costs, independent of how busy the shared machine was.
        "cpu_ms_per_credit": round(credit_cpu_s * 1000 / total, 1),
        "messages_per_s_first_half_second_half": watch.halves(),
        "queue_peak_messages": watch.peak,
        # How busy the machine was: wall-clock rates on a shared machine are only comparable with it.
        "load_average_1m": round(os.getloadavg()[0], 1),
        "points_credited_exactly": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--scans", type=int, default=10, help="scans per buyer")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    from earnloop.local.metrics_log import MetricsLog

    # Powertools prints a full set of 100 metrics even when metrics are disabled: not our figures.
    terminal, sys.stdout = sys.stdout, MetricsLog(sys.stdout, Path(os.devnull))
    try:
        figures = run(args.buyers, args.scans)
    finally:
        routed, sys.stdout = sys.stdout, terminal
        routed.close()

    total = args.buyers * args.scans
    recorded = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    runs = recorded.get("runs", {}) if isinstance(recorded.get("runs"), dict) else {}
    runs[str(total)] = figures
    result = {
        **({"note": recorded["note"]} if isinstance(recorded.get("note"), str) else {}),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "backend": "DynamoDB Local 3.1.0 + moto server (in-process handlers)",
        "pumping": "25 stream records per consumer and shard, then every queue until empty, per round",
        "runs": dict(sorted(runs.items(), key=lambda item: int(item[0]))),
        "before": BEFORE,
    }
    print(json.dumps({"scans": total, **figures}, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
