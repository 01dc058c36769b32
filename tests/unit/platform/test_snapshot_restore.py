"""Init is snapshot-safe: what a SnapStart snapshot copies into many environments holds nothing that
must differ between them.

Each handler is imported in a fresh interpreter with a Lambda-like environment (tracing on, as
deployed), with a stand-in for the runtime's `snapshot_restore_py` that records the hooks registered.
The probe then looks at what init left behind (boto3 clients, connection pools, TCP sockets, clock
readings at module level), warms the caches a first request would fill (settings, the secrets
provider and its client), and forks: a fork is a copy of the process's memory, as a restore is a
copy of the snapshot's (except that CPython reseeds `random` in a forked child, which the probe
undoes). Two children run the registered after-restore hooks and report what they
hold; two more run none, to show the copies really do share state without the hooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from earnloop.contexts import all_functions

from tests.support.handlers import probe, probed_handlers

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def probed() -> dict[str, dict[str, Any]]:
    return probed_handlers()


def _nothing_connected(held: dict[str, Any]) -> bool:
    return held["clients"] == 0 and held["pools"] == 0 and held["connected_sockets"] == 0


@pytest.mark.parametrize("name", [spec.name for spec in all_functions()])
def test_init_creates_no_client_pool_connection_or_clock_reading(probed, name):
    at_import = probed[name]["at_import"]
    assert at_import["clients"] == 0, "a boto3 client made at import would be in the snapshot"
    assert at_import["pools"] == 0, "a host's connection pool made at import would be in the snapshot"
    # X-Ray's emitter holds an unconnected UDP socket (datagrams to the daemon); nothing holds a stream.
    assert at_import["stream_sockets"] == 0
    assert at_import["connected_sockets"] == 0
    assert at_import["cached_times"] == [], "a clock reading kept at module level"


@pytest.mark.parametrize("name", [spec.name for spec in all_functions()])
def test_a_restored_copy_drops_what_init_cached_and_reads_its_own_environment(probed, name):
    report = probed[name]
    assert report["registered_after_restore"] == 1, "the library registers one hook with the runtime"
    assert report["warmed"]["clients"] >= 1, "the probe's warm-up made a client for the restore to drop"
    assert report["stage_at_init"] == "snapshot"
    for copy, number in zip(report["restored"], (1, 2), strict=True):
        assert copy["client_cache"] == 0
        assert _nothing_connected(copy["held"]), copy["held"]
        assert copy["stage"] == f"restored{number}", "settings are read again after a restore"
    # Without the hook, the cached settings of the snapshot win: the case the hook exists for.
    assert [copy["stage"] for copy in report["not_restored"]] == ["snapshot", "snapshot"]


@pytest.mark.parametrize("name", [spec.name for spec in all_functions()])
def test_restored_copies_draw_different_random_numbers_and_never_the_same_id(probed, name):
    first, second = probed[name]["restored"]
    assert first["random"] != second["random"]
    assert not set(first["ids"]) & set(second["ids"])
    assert len(set(first["ids"])) == len(first["ids"])
    # The copies share the snapshot's random state until the hook reseeds it.
    unseeded = probed[name]["not_restored"]
    assert unseeded[0]["random"] == unseeded[1]["random"]


def test_the_probe_sees_a_client_a_pool_and_a_clock_reading_made_at_import(tmp_path):
    handler = tmp_path / "careless" / "handler.py"
    handler.parent.mkdir()
    handler.write_text(
        "import datetime, boto3, urllib3\n"
        "import earnloop.platform.clock as clock\n"
        "client = boto3.client('dynamodb', region_name='ap-east-1')\n"
        "wechat = urllib3.PoolManager().connection_from_url('https://api.weixin.qq.com')\n"
        "clock.STARTED = datetime.datetime.now(datetime.UTC)\n"
        "def lambda_handler(event, context):\n"
        "    return client\n"
    )
    at_import = probe(handler)["at_import"]
    assert at_import["clients"] == 1
    assert at_import["pools"] == 1
    assert at_import["cached_times"] == ["earnloop.platform.clock.STARTED"]


@pytest.mark.parametrize("spec", [s for s in all_functions() if s.kind != "http"], ids=lambda s: s.name)
def test_an_event_function_loads_no_http_framework_or_token_library(probed, spec):
    # Half of an HTTP function's cold start is FastAPI, PyJWT and cryptography; a worker, the stream
    # publisher and a schedule serve no request and check no token (bench/cold_start.py).
    assert probed[spec.name]["http_and_token_libraries"] == []
