"""Scan-to-credit pipeline on the local cloud (DynamoDB Local + moto): how fast scans are accepted,
how fast the pumps turn them into credited points, and how fast the ledger takes earns.

Run: `.venv/bin/python bench/scan_pipeline.py [--buyers 20] [--scans 10]`. Prints the figures and
records them in `bench/results/scan_pipeline.json`. Figures are for this machine's emulators, not AWS:
they show regressions in our code path, not production capacity.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "scan_pipeline.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--scans", type=int, default=10, help="scans per buyer")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    from earnloop.contexts import routers
    from earnloop.local.cloud import LocalCloud
    from earnloop.platform.app import create_app
    from fastapi.testclient import TestClient

    total = args.buyers * args.scans
    with LocalCloud(
        dynamodb="dynamodb-local", environment={"EARNLOOP_SCANS_PER_HOUR": str(args.scans + 1)}
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
        for n in range(args.buyers):
            login = api.post("/v1/auth/login", json={"code": f"dev:bench{n}"}).json()
            buyers.append({"Authorization": f"Bearer {login['token']}"})
        cloud.pump_until_idle()

        latencies: list[float] = []
        began = time.perf_counter()
        for index, code in enumerate(codes):
            started = time.perf_counter()
            response = api.post("/v1/scans", headers=buyers[index % args.buyers], json={"code": code})
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 202, response.text
        accept_s = time.perf_counter() - began

        began = time.perf_counter()
        cloud.pump_until_idle()
        credit_s = time.perf_counter() - began

        balances = [api.get("/v1/points", headers=h).json()["balance"] for h in buyers]
        assert sum(balances) == total * 10, balances

    latencies.sort()
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "backend": "DynamoDB Local 3.1.0 + moto server (in-process handlers)",
        "scans": total,
        "scans_accepted_per_s": round(total / accept_s, 1),
        "scan_latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "scan_latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "credits_per_s_through_pumps": round(total / credit_s, 1),
        "points_credited_exactly": True,
    }
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
