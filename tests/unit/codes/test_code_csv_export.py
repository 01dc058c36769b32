"""The CSV export is generated lazily: a million codes never sit in memory, and every row verifies."""

from __future__ import annotations

import json
import tracemalloc
import types
from typing import TYPE_CHECKING

from earnloop.codes.codec import QrKeys, Signer, verify
from earnloop.codes.csv_export import HEADER, csv_chunks
from earnloop.codes.rules import MAX_EXPORT_ROWS

KEYS = QrKeys.from_secret({"current": "A", "A": "k" * 40, "Z": "z" * 40})
if TYPE_CHECKING:
    from collections.abc import Iterator

BASE = "https://example.com/q/"


def test_rows_name_serial_code_and_printable_url_and_every_code_verifies():
    text = "".join(csv_chunks(Signer(KEYS, "A", "K7Q2M3XD").code, 5, 2_504, BASE, chunk_rows=1000))
    lines = text.splitlines()
    assert lines[0] == HEADER.strip() == "serial,code,url"
    assert len(lines) == 2_501
    for expected_serial, line in enumerate(lines[1:], start=5):
        serial, code, url = line.split(",")
        assert int(serial) == expected_serial
        assert url == BASE + code
        ref = verify(KEYS, url, url_bases=[BASE])
        assert (ref.batch_id, ref.serial) == ("K7Q2M3XD", expected_serial)


def peak_bytes_while_draining(chunks: Iterator[str]) -> tuple[int, int, int]:
    """Rows and characters of an export, and the peak of memory allocated while producing them."""
    rows = size = 0
    tracemalloc.start()
    try:
        for chunk in chunks:
            rows += chunk.count("\n")
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, size, peak


def test_a_quarter_million_rows_are_generated_lazily_with_a_small_peak_of_memory():
    # A stand-in signer keeps this fast under tracemalloc (which slows every allocation ~5x);
    # the next test shows the real signer keeps nothing per code. A quarter of a million rows is
    # 28 times the peak allowed: holding the export, or a list of its rows, would show as well as
    # with a million.
    chunks = csv_chunks(lambda serial: "AK7Q2M3XD.BP.MFRGGZDFMZTWQ2LKNNWG23TPOA", 1, 250_000, BASE)
    assert isinstance(chunks, types.GeneratorType)
    rows, size, peak = peak_bytes_while_draining(chunks)
    assert rows == 250_001
    assert size > 27_000_000
    assert peak < 1_000_000, peak


def test_signing_a_full_export_range_keeps_nothing_per_code():
    signer = Signer(KEYS, "A", "K7Q2M3XD")
    rows, _, peak = peak_bytes_while_draining(csv_chunks(signer.code, 1, MAX_EXPORT_ROWS, BASE))
    assert rows == MAX_EXPORT_ROWS + 1
    assert peak < 1_000_000, peak


def test_the_largest_range_fits_one_lambda_answer_with_the_longest_url_base():
    longest_base = "https://" + "q" * 53 + "/q/"
    assert len(longest_base) == 64
    last = 1_000_000
    body = "".join(
        csv_chunks(Signer(KEYS, "Z", "77777777").code, last - MAX_EXPORT_ROWS + 1, last, longest_base)
    )
    # Lambda's synchronous answer (the JSON envelope around the body) is capped at 6 MB.
    assert len(json.dumps({"statusCode": 200, "body": body}).encode()) < 6 * 1024 * 1024 * 0.8
