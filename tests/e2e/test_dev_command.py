"""`earnloop dev` (what `make dev` runs) as a developer uses it: it starts, prints a quick start that
works, serves `/docs`, and Ctrl-C stops everything with exit status 0."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from earnloop.local.dynamodb_local import free_port
from earnloop.local.invoke import ENDPOINTS_FILE

pytestmark = pytest.mark.e2e

EARNLOOP = Path(sys.executable).with_name("earnloop")
READY = "Ctrl-C stops everything."


def test_earnloop_dev_serves_the_quick_start_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    process = subprocess.Popen(
        [str(EARNLOOP), "dev", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    try:
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if READY in line:
                break
        output = "".join(lines)
        assert READY in output, output + (process.stderr.read() if process.stderr else "")
        codes = re.findall(r"^\s+\d+\s+(\S+)\s+https://", output, flags=re.MULTILINE)
        assert len(codes) == 20
        running = json.loads(ENDPOINTS_FILE.read_text())
        assert running["pid"] == process.pid

        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.get("/v1/health").json() == {"status": "ok", "stage": "local"}
            assert http.get("/docs").status_code == 200
            login = http.post("/v1/auth/login", json={"code": "dev:alice"}).json()
            headers = {"authorization": f"Bearer {login['token']}"}
            assert http.post("/v1/scans", headers=headers, json={"code": codes[0]}).status_code == 202
            admin = http.post("/v1/auth/login", json={"code": "dev:admin"}).json()
            assert admin["user"]["is_new"] is False  # seeded before the quick start was printed
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 0, stderr
    assert "stopped." in stdout
    assert not ENDPOINTS_FILE.exists()
    # Nothing it started is left listening: not moto, not the DynamoDB Local JVM.
    for endpoint in (running["moto"], running["dynamodb"]):
        with pytest.raises(httpx.ConnectError):
            httpx.get(endpoint, timeout=2)
