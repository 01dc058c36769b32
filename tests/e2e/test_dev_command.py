"""`earnloop dev` (what `make dev` runs) as a developer uses it: it starts, prints a quick start that
works, serves `/docs`, keeps metrics out of the terminal, Ctrl-C stops everything with exit status
0, and a restart at once on the same port serves the data of the last run (`--clean`: none)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from earnloop.local.dynamodb_local import free_port
from earnloop.local.invoke import ENDPOINTS_FILE

pytestmark = pytest.mark.e2e

EARNLOOP = Path(sys.executable).with_name("earnloop")
READY = "Ctrl-C stops everything."


def start_dev(port: int, data_dir: Path, *flags: str) -> tuple[subprocess.Popen[str], str]:
    """Starts `earnloop dev` and returns once it has printed its quick start (and the quick start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    process = subprocess.Popen(
        [str(EARNLOOP), "dev", "--port", str(port), "--data-dir", str(data_dir), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if READY in line:
            break
    output = "".join(lines)
    if READY not in output:
        process.kill()
        raise AssertionError(output + (process.stderr.read() if process.stderr else ""))
    return process, output


def ctrl_c(process: subprocess.Popen[str]) -> str:
    """Stops it as a developer does; returns the rest of its stdout."""
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=90)
    assert process.returncode == 0, stderr
    return stdout


def printed_codes(output: str) -> list[str]:
    return re.findall(r"^\s+\d+\s+(\S+)\s+https?://", output, flags=re.MULTILINE)


def test_earnloop_dev_serves_the_quick_start_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    process, output = start_dev(port, tmp_path)
    try:
        codes = printed_codes(output)
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
            # A printed URL points at this server, on its port: opened in a browser, it is the code
            # domain's page; scanned as a URL, it is the code (already claimed now).
            printed_url = f"{base}/q/{codes[1]}"
            assert printed_url in output
            assert "WeChat" in http.get(f"/q/{codes[1]}").text
            assert http.post("/v1/scans", headers=headers, json={"code": printed_url}).status_code == 202
            # A rejected scan: `single_metric` prints its metric even with metrics disabled.
            assert http.post("/v1/scans", headers=headers, json={"code": codes[0]}).status_code == 409
            admin = http.post("/v1/auth/login", json={"code": "dev:admin"}).json()
            assert admin["user"]["is_new"] is False  # seeded before the quick start was printed
        # The operations commands find the running cloud by themselves.
        for command, said in (
            (["redrive", "tags"], "tags: moved 0 message(s) from its dead-letter queue back to the queue"),
            (["replay-stream"], "replayed 0 failed batch(es)"),
        ):
            done = subprocess.run([str(EARNLOOP), *command], capture_output=True, text=True, timeout=120)
            assert (done.returncode, said in done.stdout) == (0, True), done.stdout + done.stderr
    finally:
        stdout = ctrl_c(process)

    assert "stopped." in stdout
    assert not ENDPOINTS_FILE.exists()
    # Nothing it started is left listening: not moto, not the DynamoDB Local JVM.
    for endpoint in (running["moto"], running["dynamodb"]):
        with pytest.raises(httpx.ConnectError):
            httpx.get(endpoint, timeout=2)
    # Metrics went to the file the quick start names, not to the terminal.
    assert str(tmp_path / "metrics.log") in output
    assert '"_aws"' not in output + stdout
    metrics = (tmp_path / "metrics.log").read_text()
    assert '"ScansAccepted"' in metrics and '"ScansRejected"' in metrics


def test_a_restart_right_after_ctrl_c_serves_the_data_of_the_last_run(tmp_path: Path) -> None:
    port = free_port()
    process, output = start_dev(port, tmp_path)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            login = http.post("/v1/auth/login", json={"code": "dev:carol"}).json()
            headers = {"authorization": f"Bearer {login['token']}"}
            code = printed_codes(output)[0]
            assert http.post("/v1/scans", headers=headers, json={"code": code}).status_code == 202
    finally:
        ctrl_c(process)

    # The same port at once (its connections are still in TIME_WAIT), the same data.
    process, again = start_dev(port, tmp_path)
    try:
        assert printed_codes(again) == printed_codes(output)  # the demo batch is kept, not re-created
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            # The old token is still valid; the scan was credited (before the stop or after the start).
            for _ in range(50):
                balance = http.get("/v1/points", headers=headers).json()["balance"]
                if balance == 50:
                    break
                time.sleep(0.2)
            assert balance == 50
            assert http.post("/v1/scans", headers=headers, json={"code": code}).status_code == 409
    finally:
        ctrl_c(process)

    # --clean starts from nothing.
    process, _ = start_dev(port, tmp_path, "--clean")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            assert http.get("/v1/points", headers=headers).status_code == 401  # a new session key
            carol = http.post("/v1/auth/login", json={"code": "dev:carol"}).json()
            assert carol["user"]["is_new"] is True
    finally:
        ctrl_c(process)
