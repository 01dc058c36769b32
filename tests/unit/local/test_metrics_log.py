"""`earnloop dev`'s stdout: Powertools' EMF metric documents go to the metrics file, the rest of the
output reaches the terminal unchanged."""

from __future__ import annotations

import contextlib
import io
import json
from typing import TYPE_CHECKING

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from earnloop.local.metrics_log import MetricsLog

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_metrics_printed_by_powertools_go_to_the_file_and_other_lines_to_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    terminal = io.StringIO()
    routed = MetricsLog(terminal, tmp_path / "metrics.log")
    metrics = Metrics(namespace="earnloop-test", service="test")
    # Metrics instances share one metric set per process: start from what this test adds.
    metrics.clear_metrics()

    with contextlib.redirect_stdout(routed):
        print("quick start: http://127.0.0.1:8000")
        # Both ways our code emits metrics: a flushed Metrics set and single_metric (which prints
        # even when metrics are disabled).
        metrics.add_metric(name="ScansAccepted", unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()
        with single_metric(name="ScansRejected", unit=MetricUnit.Count, value=1, namespace="earnloop-test"):
            pass
        print('{"not": "a metric"}')
    routed.close()

    assert terminal.getvalue() == 'quick start: http://127.0.0.1:8000\n{"not": "a metric"}\n'
    documents = [json.loads(line) for line in (tmp_path / "metrics.log").read_text().splitlines()]
    assert [d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for d in documents] == [
        "ScansAccepted",
        "ScansRejected",
    ]
    assert routed.metrics == 2


def test_a_line_written_in_pieces_is_routed_whole(tmp_path: Path) -> None:
    terminal = io.StringIO()
    routed = MetricsLog(terminal, tmp_path / "metrics.log")

    routed.write('{"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}')
    routed.write(', "Count": 1}\nready')
    routed.close()

    assert terminal.getvalue() == "ready"
    assert (tmp_path / "metrics.log").read_text().count("\n") == 1
